package e2e

import (
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
	"golang.org/x/crypto/ssh"
)

// The tokens of the generic git servers; recognisable, so that the leak
// scans find them.
const (
	plainToken = "lab-token-plain-http-do-not-leak"
	tlsToken   = "glpat-https-token-do-not-leak"
)

// gitHosts are three real git servers over one directory of bare
// repositories: git http-backend over plain HTTP and over HTTPS (each
// behind basic auth, counting connections), and git over SSH.
type gitHosts struct {
	root                      string
	plain, tls                *httptest.Server
	plainConns, tlsConns      atomic.Int64
	ssh                       *testkit.SSHServer
	sshPub                    ssh.PublicKey
	caFile, keyFile, tokenMap string
	knownHosts                string
}

func startGitHosts(t *testing.T) *gitHosts {
	t.Helper()
	g := &gitHosts{root: t.TempDir()}
	backend := testkit.GitHTTPHandler(t, g.root)
	g.plain = httptest.NewUnstartedServer(testkit.BasicAuth("lab", plainToken, backend))
	g.plain.Config.ConnState = countNew(&g.plainConns)
	g.plain.Start()
	t.Cleanup(g.plain.Close)
	g.tls = httptest.NewUnstartedServer(testkit.BasicAuth("oauth2", tlsToken, backend))
	g.tls.Config.ConnState = countNew(&g.tlsConns)
	// Refused handshakes are what one test provokes: not worth a log line.
	g.tls.Config.ErrorLog = log.New(io.Discard, "", 0)
	g.tls.StartTLS()
	t.Cleanup(g.tls.Close)
	keyFile, pub := testkit.SSHKey(t, "")
	g.keyFile, g.sshPub = keyFile, pub
	g.ssh = testkit.NewSSHServer(t, g.root, pub)
	g.knownHosts = g.ssh.KnownHosts(t, g.ssh.HostKey)

	dir := t.TempDir()
	g.caFile = filepath.Join(dir, "ca.pem")
	writeFile(t, g.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: g.tls.Certificate().Raw}))
	// The HTTPS host's line is an ordinary one; the plain-HTTP host's
	// token is sent only because its line names http:// (the operator's
	// consent to a token in clear).
	g.tokenMap = filepath.Join(dir, "token-map")
	writeFile(t, g.tokenMap, []byte(fmt.Sprintf("%s=oauth2:%s\nhttp://%s=lab:%s\n",
		hostOf(g.tls.URL), tlsToken, hostOf(g.plain.URL), plainToken)))
	return g
}

func countNew(n *atomic.Int64) func(net.Conn, http.ConnState) {
	return func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
}

func hostOf(u string) string { _, h, _ := strings.Cut(u, "://"); return h }

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// repo seeds the bare repository hedgehog/<name> with the acceptance files
// and registers it in NetBox under url; it returns the NetBox id and the
// bare repository.
func (g *gitHosts) repo(t *testing.T, s *stack, name, url string) (int64, string) {
	t.Helper()
	bare := testkit.SeedBare(t, filepath.Join(g.root, harness.Owner, name+".git"), rawSeed(t, fgdPath))
	r, err := s.env.NetBox.CreateRepository(netboxsim.Repository{
		Name: name, URL: url, Provider: "generic", AuthenticationType: "token",
		DefaultBranch: "main", ValidateSSL: true, HasCredentials: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID, bare
}

// args are serve's flags for these hosts: the token map, the CA that
// signed the HTTPS server's certificate, the SSH key and known_hosts.
func (g *gitHosts) args() []string {
	return []string{"--github-token-map-file=" + g.tokenMap, "--ca-file=" + g.caFile,
		"--git-ssh-key-file=" + g.keyFile, "--git-known-hosts-file=" + g.knownHosts}
}

// One `serve` (the built binary) initializes three fabrics whose
// repositories are on a plain-HTTP, an HTTPS and an SSH git server, each
// reached over the transport its URL names, with one commit each. The
// tokens never appear in the logs, NetBox or the commits.
func TestServeOverHTTPHTTPSAndSSH(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	g := startGitHosts(t)
	s := startEnv(t, harness.Options{})
	svc := startBinary(t, bin, s.env.ServeArgs(g.args()...), nil)
	s.svc = svc
	s.setup(t, svc.HTTPURL)

	type fabricCase struct {
		name, url, linkPrefix string
		id                    int64
		bare                  string
	}
	cases := []*fabricCase{
		{name: "over-http", url: g.plain.URL + "/" + harness.Owner + "/over-http.git", linkPrefix: g.plain.URL + "/"},
		{name: "over-https", url: g.tls.URL + "/" + harness.Owner + "/over-https.git", linkPrefix: g.tls.URL + "/"},
		{name: "over-ssh", url: g.ssh.URL(harness.Owner, "over-ssh"), linkPrefix: "https://127.0.0.1/"},
	}
	for _, c := range cases {
		repoID, bare := g.repo(t, s, c.name, c.url)
		c.bare = bare
		c.id = s.createFabric(t, "fabric-"+c.name, repoID, fgdPath).ID
	}
	for _, c := range cases {
		got := s.waitStatus(t, c.id, status.Initialized, 60*time.Second)
		head := s.git(t, c.bare, "rev-parse", "main")
		if n := s.commits(t, c.bare); n != 2 {
			t.Errorf("%s: %d commits on main, want the seed and one", c.name, n)
		}
		testkit.CheckManagedCounts(t, testkit.Clone(t, c.bare, "main"), fgdPath)
		want := c.linkPrefix + harness.Owner + "/" + c.name + "/commit/" + head
		if u := fmt.Sprint(got.CustomFields[status.FieldCommitURL]); u != want {
			t.Errorf("%s: gitops_commit_url %q, want %q", c.name, u, want)
		}
	}
	if g.plainConns.Load() == 0 || g.tlsConns.Load() == 0 || g.ssh.Connections() == 0 {
		t.Errorf("connections: plain HTTP %d, HTTPS %d, SSH %d; want each server used",
			g.plainConns.Load(), g.tlsConns.Load(), g.ssh.Connections())
	}
	s.noSecrets(t, cases[0].bare, cases[1].bare, cases[2].bare)
	noGitTokens(t, s, svc)
}

// noGitTokens fails when a git server's token is in the logs, a fabric's
// fields or its NetBox writes.
func noGitTokens(t *testing.T, s *stack, svc *harness.Service) {
	t.Helper()
	secrets := []string{plainToken, tlsToken}
	if line, leaked := harness.ScanLines(strings.NewReader(svc.Logs()), secrets); leaked {
		t.Errorf("a git token leaked into the logs: %s", line)
	}
	for _, f := range s.env.NetBox.Fabrics() {
		for _, e := range s.env.NetBox.PatchLog(f.ID) {
			for k, v := range e.CustomFields {
				for _, secret := range secrets {
					if strings.Contains(fmt.Sprint(v), secret) {
						t.Errorf("a write to fabric %d field %s held a git token: %v", f.ID, k, v)
					}
				}
			}
		}
	}
}

// Failures that no retry heals end in status error with the cause, and
// the service does not try again (until the next periodic resync, a minute
// away here): an HTTPS server whose certificate the service does not
// trust (no --ca-file), an SSH server whose host key differs from the one
// known_hosts lists for it, an SSH server known_hosts does not list, and an
// https URL on a plain-HTTP server.
func TestUnhealableGitFailuresAreTerminal(t *testing.T) {
	t.Parallel()
	g := startGitHosts(t)
	// known_hosts lists another key for the SSH server's address.
	_, strange := testkit.SSHKey(t, "")
	strangeKnown := g.ssh.KnownHosts(t, strange)
	unlisted := testkit.NewSSHServer(t, g.root, g.sshPub)
	s := startEnv(t, harness.Options{})
	s.startService(t, "--github-token-map-file="+g.tokenMap, "--git-ssh-key-file="+g.keyFile, "--git-known-hosts-file="+strangeKnown)
	s.setup(t, s.svc.HTTPURL)

	cases := []struct {
		name, url, cause string
		conns            func() int64
	}{
		{"untrusted-tls", g.tls.URL + "/" + harness.Owner + "/untrusted-tls.git",
			"certificate is signed by an unknown authority", g.tlsConns.Load},
		{"changed-host-key", g.ssh.URL(harness.Owner, "changed-host-key"),
			"host key does not match known_hosts", func() int64 { return int64(g.ssh.Connections()) }},
		{"unknown-host", unlisted.URL(harness.Owner, "unknown-host"),
			"host key is not in known_hosts", func() int64 { return int64(unlisted.Connections()) }},
		{"https-on-plain-http", "https://" + hostOf(g.plain.URL) + "/" + harness.Owner + "/https-on-plain-http.git",
			"the server does not speak TLS", g.plainConns.Load},
	}
	ids := make([]int64, len(cases))
	for i, c := range cases {
		repoID, _ := g.repo(t, s, c.name, c.url)
		ids[i] = s.createFabric(t, "fabric-"+c.name, repoID, fgdPath).ID
	}
	before := make([]int64, len(cases))
	for i, c := range cases {
		got := s.waitStatus(t, ids[i], status.Error, 60*time.Second)
		msg := fmt.Sprint(got.CustomFields[status.FieldError])
		if !strings.Contains(msg, c.cause) || strings.Contains(msg, "will retry") {
			t.Errorf("%s: gitops_directory_error %q, want the cause %q and no retry", c.name, msg, c.cause)
		}
		before[i] = c.conns()
		t.Logf("%s: %s", c.name, msg)
	}
	// The service retries a temporary failure after 100ms, 200ms, ...
	// (--retry-base-delay=100ms, at most 2s): in 4s a retried failure
	// would have come back several times.
	time.Sleep(4 * time.Second)
	for i, c := range cases {
		if after := c.conns(); after != before[i] {
			t.Errorf("%s: %d more connections after the terminal error; it was retried", c.name, after-before[i])
		}
		if seq := statusSequence(serviceWrites(s.env.NetBox, ids[i])); len(seq) > 2 {
			t.Errorf("%s: status writes %v, want initializing then error once", c.name, seq)
		}
	}
	noGitTokens(t, s, s.svc)
}
