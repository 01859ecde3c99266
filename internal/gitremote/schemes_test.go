package gitremote_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// authSeen records, per request, whether it carried an Authorization header.
type authSeen struct {
	mu            sync.Mutex
	with, without int
	next          http.Handler
}

func (a *authSeen) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	if r.Header.Get("Authorization") != "" {
		a.with++
	} else {
		a.without++
	}
	a.mu.Unlock()
	a.next.ServeHTTP(w, r)
}

func (a *authSeen) counts() (with, without int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.with, a.without
}

// gitHTTP starts git http-backend over root on loopback, plain or with TLS
// (httptest's certificate, for 127.0.0.1 and example.com), behind basic
// auth when user is set.
func gitHTTP(t *testing.T, root string, tls bool, user, pass string) (*httptest.Server, *authSeen) {
	t.Helper()
	var h http.Handler = testkit.GitHTTPHandler(t, root)
	if user != "" {
		h = testkit.BasicAuth(user, pass, h)
	}
	seen := &authSeen{next: h}
	srv := httptest.NewUnstartedServer(seen)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, seen
}

func parse(t *testing.T, raw string) gitport.Repo {
	t.Helper()
	r, err := gitport.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// One port, one set of credentials holding both a token and an SSH key:
// each repository is reached over the transport its URL names (the key no
// longer turns an https URL into SSH), the token goes to the HTTPS server
// only, and nothing goes over plain HTTP.
func TestURLSchemeChoosesTransport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	keyFile, pub := testkit.SSHKey(t, "")
	sshSrv := testkit.NewSSHServer(t, e.srv.root, pub)
	tlsSrv, tlsSeen := gitHTTP(t, e.srv.root, true, "hnp", testPassword)
	plainSrv, plainSeen := gitHTTP(t, e.srv.root, false, "", "")
	creds := gitremote.Credentials{Username: "hnp", Password: testPassword,
		SSHKeyFile: keyFile, KnownHostsFile: sshSrv.KnownHosts(t, sshSrv.HostKey)}
	remote := gitremote.New(gitremote.Options{
		CredentialsFor: func(gitport.Repo) gitremote.Credentials { return creds },
		HTTPClient:     tlsSrv.Client(), // trusts the test certificate
	})
	for _, tc := range []struct{ name, url string }{
		{"over-https", tlsSrv.URL + "/" + owner + "/over-https.git"},
		{"over-http", plainSrv.URL + "/" + owner + "/over-http.git"},
		{"over-ssh", sshSrv.URL(owner, "over-ssh")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bare := e.srv.bare(owner, tc.name)
			commitFiles(t, bare, "main", testkit.AcceptanceSeed(t, rawDir), "seed")
			repo := parse(t, tc.url)
			res, err := testkit.Apply(t, remote, gitport.Target{Repo: repo, Branch: "main"}, repo, fgdDir, testkit.EnginePlan)
			if err != nil || !res.Changed {
				t.Fatalf("Apply over %s = %+v, %v", repo.Scheme(), res, err)
			}
			testkit.CheckManagedCounts(t, testkit.Clone(t, bare, "main"), fgdDir)
		})
	}
	if with, _ := tlsSeen.counts(); with == 0 {
		t.Error("the HTTPS server never got the credentials")
	}
	if with, without := plainSeen.counts(); with != 0 || without == 0 {
		t.Errorf("the plain-HTTP server saw %d requests with credentials and %d without; want none with", with, without)
	}
	if sshSrv.Connections() == 0 {
		t.Error("the SSH server saw no connection")
	}
	if n := e.srv.total(); n != 0 {
		t.Errorf("the fixture's own HTTP server got %d requests; every URL named another server", n)
	}
}

// A token goes over plain HTTP only with the operator's consent: without
// it the server asking for credentials gets none, and the refusal says
// how to allow it.
func TestPlainHTTPSendsTokenOnlyWithConsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.seedAcceptance(t)
	srv, seen := gitHTTP(t, e.srv.root, false, "hnp", testPassword)
	repo := parse(t, srv.URL+"/"+owner+"/"+name+".git")
	apply := func(plain bool) (gitport.Result, error) {
		remote := gitremote.New(gitremote.Options{
			CredentialsFor: func(gitport.Repo) gitremote.Credentials {
				return gitremote.Credentials{Username: "hnp", Password: testPassword, PlainHTTP: plain}
			},
			Sleep: func(context.Context, time.Duration) error { return nil },
		})
		return testkit.Apply(t, remote, gitport.Target{Repo: repo, Branch: "main"}, repo, fgdDir, testkit.EnginePlan)
	}
	_, err := apply(false)
	wantClass(t, err, gitport.ClassAuth)
	if !strings.Contains(err.Error(), "an http:// line in the token map") {
		t.Errorf("the refusal does not say how to allow a token over http: %v", err)
	}
	if with, _ := seen.counts(); with != 0 {
		t.Fatalf("%d requests carried credentials over plain HTTP without consent", with)
	}
	res, err := apply(true)
	if err != nil || !res.Changed {
		t.Fatalf("Apply with consent = %+v, %v", res, err)
	}
}

// Failures that no retry heals are terminal, in one attempt, with the
// cause in the text: TLS not trusted or not for the host, a scheme that
// does not match the server. A refused connection stays transient.
func TestTLSAndSchemeMismatchesAreTerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.seedAcceptance(t)
	tlsSrv, _ := gitHTTP(t, e.srv.root, true, "", "")
	plainSrv, _ := gitHTTP(t, e.srv.root, false, "", "")
	tlsHost := strings.TrimPrefix(tlsSrv.URL, "https://")
	plainHost := strings.TrimPrefix(plainSrv.URL, "http://")
	_, tlsPort, _ := net.SplitHostPort(tlsHost)
	path := "/" + owner + "/" + name + ".git"
	for _, tc := range []struct {
		name, url string
		trust     bool
		class     gitport.Class
		text      string
	}{
		{"certificate of an unknown authority", "https://" + tlsHost + path, false, gitport.ClassInvalid, "signed by an unknown authority (trust a private CA with --ca-file)"},
		{"certificate not for the host name", "https://localhost:" + tlsPort + path, true, gitport.ClassInvalid, "not valid for this host name"},
		{"https URL, plain-HTTP server", "https://" + plainHost + path, true, gitport.ClassInvalid, "the URL says https but the server does not speak TLS"},
		{"http URL, HTTPS server", "http://" + tlsHost + path, true, gitport.ClassInvalid, "check the URL's scheme"},
		{"connection refused", "https://127.0.0.1:" + testkit.FreePort(t) + path, true, gitport.ClassTransient, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client := &http.Client{Transport: &http.Transport{}}
			if tc.trust {
				client = tlsSrv.Client()
			}
			rounds := 0
			remote := gitremote.New(gitremote.Options{
				HTTPClient:  client,
				MaxAttempts: 3,
				Sleep:       func(context.Context, time.Duration) error { rounds++; return nil },
			})
			repo := parse(t, tc.url)
			_, err := testkit.Apply(t, remote, gitport.Target{Repo: repo, Branch: "main"}, repo, fgdDir, testkit.EnginePlan)
			wantClass(t, err, tc.class)
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not say %q", err, tc.text)
			}
			if terminal := tc.class != gitport.ClassTransient; terminal && rounds != 0 {
				t.Errorf("a terminal failure was tried %d more times", rounds)
			}
			t.Logf("%v", err)
		})
	}
}

// An SSH host that known_hosts does not list, and one whose key differs
// from the listed one, are both refused before any git command, terminal,
// each with its own cause.
func TestSSHHostKeyUnknownOrChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.seedAcceptance(t)
	keyFile, pub := testkit.SSHKey(t, "")
	srv := testkit.NewSSHServer(t, e.srv.root, pub)
	other := testkit.NewSSHServer(t, e.srv.root, pub)
	_, strangeKey := testkit.SSHKey(t, "")
	for _, tc := range []struct{ name, known, text string }{
		{"unknown host", other.KnownHosts(t, other.HostKey), "host key is not in known_hosts"},
		{"changed key", srv.KnownHosts(t, strangeKey), "host key does not match known_hosts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			remote := gitremote.New(gitremote.Options{
				CredentialsFor: func(gitport.Repo) gitremote.Credentials {
					return gitremote.Credentials{SSHKeyFile: keyFile, KnownHostsFile: tc.known}
				},
				Sleep: func(context.Context, time.Duration) error { t.Error("a host-key failure was retried"); return nil },
			})
			repo := parse(t, srv.URL(owner, name))
			_, err := testkit.Apply(t, remote, gitport.Target{Repo: repo, Branch: "main"}, repo, fgdDir, testkit.EnginePlan)
			wantClass(t, err, gitport.ClassAuth)
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not say %q", err, tc.text)
			}
		})
	}
}
