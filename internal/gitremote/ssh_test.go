package gitremote_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// sshServer runs git upload-pack / receive-pack (the real git binary) for
// the bare repositories under root behind an SSH server on loopback that
// accepts the given public keys.
type sshServer struct {
	root       string
	git, home  string // the git binary, and the HOME it runs with
	ln         net.Listener
	cfg        *ssh.ServerConfig
	hostKey    ssh.PublicKey
	wg         sync.WaitGroup
	mu         sync.Mutex
	conns      []net.Conn
	authorized []ssh.PublicKey
}

func newSSHServer(t *testing.T, root string, authorized ...ssh.PublicKey) *sshServer {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	host, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	s := &sshServer{root: root, git: testkit.GitBin(t), home: t.TempDir(), hostKey: host.PublicKey(), authorized: authorized}
	s.cfg = &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		for _, a := range s.authorized {
			if bytes.Equal(k.Marshal(), a.Marshal()) {
				return &ssh.Permissions{}, nil
			}
		}
		return nil, errors.New("key not authorized")
	}}
	s.cfg.AddHostKey(host)
	if s.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		_ = s.ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *sshServer) addr() string { return s.ln.Addr().String() }

// knownHosts writes a known_hosts file naming key for the server.
func (s *sshServer) knownHosts(t *testing.T, key ssh.PublicKey) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.addr())}, key) + "\n"
	if err := os.WriteFile(p, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (s *sshServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *sshServer) serve(c net.Conn) {
	defer s.wg.Done()
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		_ = c.Close()
		return
	}
	defer func() { _ = sc.Close() }()
	s.wg.Add(1)
	go func() { defer s.wg.Done(); ssh.DiscardRequests(reqs) }()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		s.wg.Add(1)
		go s.session(ch, creqs)
	}
}

// session runs one exec request: git-upload-pack or git-receive-pack of a
// path under root.
func (s *sshServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer s.wg.Done()
	defer func() { _ = ch.Close() }()
	for req := range reqs {
		if req.Type != "exec" {
			_ = req.Reply(req.Type == "env", nil)
			continue
		}
		var p struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &p); err != nil {
			_ = req.Reply(false, nil)
			return
		}
		verb, arg, _ := strings.Cut(p.Command, " ")
		if verb != "git-upload-pack" && verb != "git-receive-pack" {
			_ = req.Reply(false, nil)
			return
		}
		_ = req.Reply(true, nil)
		cmd := exec.Command(s.git, strings.TrimPrefix(verb, "git-"), filepath.Join(s.root, strings.Trim(arg, "'")))
		cmd.Env = testkit.GitEnv(s.home)
		cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
		stdin, err := cmd.StdinPipe()
		if err == nil {
			err = cmd.Start()
		}
		code := uint32(0)
		if err == nil {
			// The copy ends when the client closes its side or the
			// channel closes below.
			s.wg.Add(1)
			go func() { defer s.wg.Done(); _, _ = io.Copy(stdin, ch); _ = stdin.Close() }()
			err = cmd.Wait()
		}
		if err != nil {
			code = 1
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = uint32(ee.ExitCode()) //nolint:gosec // exit codes are small
			}
		}
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{code}))
		return
	}
}

// sshKey writes a new ed25519 private key and returns its file and public
// key. With a passphrase, ssh-keygen encrypts it with one KDF round (the
// default 16 cost seconds per load under -race).
func sshKey(t *testing.T, passphrase string) (string, ssh.PublicKey) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "id_ed25519")
	if passphrase != "" {
		if _, err := exec.LookPath("ssh-keygen"); err != nil {
			t.Fatalf("ssh-keygen (openssh-client) is required for the encrypted-key case: %v", err)
		}
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-a", "1", "-N", passphrase, "-C", "hnp-gitops test", "-f", p).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		b, err := os.ReadFile(p + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
		if err != nil {
			t.Fatal(err)
		}
		return p, pub
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "hnp-gitops test")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return p, sp
}

// The acceptance case over SSH (key file with a passphrase, known_hosts),
// then the SSH failures: an unknown key, a host key that known_hosts does
// not list, a wrong passphrase, a missing repository.
func TestApplySSH(t *testing.T) {
	t.Parallel()
	keyFile, pub := sshKey(t, "")
	encKeyFile, encPub := sshKey(t, testPassword)
	otherKey, _ := sshKey(t, "")
	e := newEnv(t, nil)
	srv := newSSHServer(t, e.srv.root, pub, encPub)
	known := srv.knownHosts(t, srv.hostKey)
	_, wrongHost := sshKey(t, "")
	unknownHost := srv.knownHosts(t, wrongHost)
	e.seedAcceptance(t)

	remote := func(c gitremote.Credentials) *gitremote.Remote {
		return gitremote.New(gitremote.Options{
			CredentialsFor: func(gitport.Repo) gitremote.Credentials { return c },
			URLFor: func(r gitport.Repo) string {
				return "ssh://git@" + srv.addr() + "/" + r.Owner + "/" + r.Name + ".git"
			},
		})
	}
	good := gitremote.Credentials{SSHKeyFile: keyFile, KnownHostsFile: known}
	encrypted := gitremote.Credentials{SSHKeyFile: encKeyFile, SSHKeyPassphrase: testPassword, KnownHostsFile: known}
	res, err := remote(good).Apply(t.Context(), gitport.Target{Repo: e.repo, Branch: "main"}, []string{fgdDir}, testkit.EnginePlan)
	if err != nil || !res.Changed || res.Attempts != 1 {
		t.Fatalf("Apply over SSH = %+v, %v", res, err)
	}
	files := testkit.Clone(t, e.bare, "main")
	testkit.CheckManagedCounts(t, files, fgdDir)
	res2, err := remote(encrypted).Apply(t.Context(), gitport.Target{Repo: e.repo, Branch: "main"}, []string{fgdDir}, testkit.EnginePlan)
	if err != nil || res2.Changed || res2.Head != res.Head {
		t.Errorf("second Apply over SSH = %+v, %v; want unchanged at %s", res2, err, res.Head)
	}

	for _, tc := range []struct {
		name  string
		creds gitremote.Credentials
		repo  string
		class gitport.Class
	}{
		{"key not authorized", gitremote.Credentials{SSHKeyFile: otherKey, KnownHostsFile: known}, name, gitport.ClassAuth},
		{"host key not in known_hosts", gitremote.Credentials{SSHKeyFile: keyFile, KnownHostsFile: unknownHost}, name, gitport.ClassAuth},
		{"wrong passphrase", gitremote.Credentials{SSHKeyFile: encKeyFile, SSHKeyPassphrase: testPassword + "x", KnownHostsFile: known}, name, gitport.ClassInvalid},
		{"missing repository", good, "nothing-here", gitport.ClassNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.repo
			r.Name = tc.repo
			_, err := remote(tc.creds).Apply(t.Context(), gitport.Target{Repo: r, Branch: "main"}, []string{fgdDir}, testkit.EnginePlan)
			wantClass(t, err, tc.class)
			t.Logf("%v", err)
		})
	}
	if got := len(testkit.GitLog(t, e.bare, "main")); got != 2 {
		t.Errorf("history has %d commits, want 2", got)
	}
}
