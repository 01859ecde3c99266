package testkit

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
)

// SSHServer runs the real git upload-pack / receive-pack for the bare
// repositories under Root behind an SSH server on loopback that accepts
// the given public keys (any user name), with a host key of its own. It is
// the git side of an SSH remote as a git host runs it: the transport is
// golang.org/x/crypto/ssh, the protocol is git's own.
type SSHServer struct {
	Root    string
	HostKey ssh.PublicKey

	git, home  string // the git binary, and the HOME it runs with
	ln         net.Listener
	cfg        *ssh.ServerConfig
	wg         sync.WaitGroup
	mu         sync.Mutex
	conns      []net.Conn
	authorized []ssh.PublicKey
	sessions   int
}

// NewSSHServer starts an SSHServer for root, stopped at the test's end.
func NewSSHServer(t testing.TB, root string, authorized ...ssh.PublicKey) *SSHServer {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	host, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	s := &SSHServer{Root: root, git: GitBin(t), home: t.TempDir(), HostKey: host.PublicKey(), authorized: authorized}
	s.cfg = &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		for _, a := range s.authorized {
			if bytes.Equal(k.Marshal(), a.Marshal()) {
				return &ssh.Permissions{}, nil
			}
		}
		return nil, errors.New("key not authorized")
	}}
	s.cfg.AddHostKey(host)
	s.ln = Listen(t)
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

// Addr is the server's host:port.
func (s *SSHServer) Addr() string { return s.ln.Addr().String() }

// URL is the ssh:// clone URL of owner/name.
func (s *SSHServer) URL(owner, name string) string {
	return "ssh://git@" + s.Addr() + "/" + owner + "/" + name + ".git"
}

// Connections is the number of TCP connections the server accepted.
func (s *SSHServer) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// KnownHosts writes a known_hosts file naming key for the server.
func (s *SSHServer) KnownHosts(t testing.TB, key ssh.PublicKey) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, key) + "\n"
	if err := os.WriteFile(p, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (s *SSHServer) accept() {
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

func (s *SSHServer) serve(c net.Conn) {
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
// path under Root.
func (s *SSHServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
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
		code := s.run(ch, strings.TrimPrefix(verb, "git-"), filepath.Join(s.Root, strings.Trim(arg, "'")))
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{code}))
		return
	}
}

// run runs git verb on the repository at dir with the channel as its
// standard streams and returns its exit code.
func (s *SSHServer) run(ch ssh.Channel, verb, dir string) uint32 {
	cmd := exec.Command(s.git, verb, dir)
	cmd.Env = GitEnv(s.home)
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err == nil {
		// The copy ends when the client closes its side or the channel
		// closes.
		s.wg.Add(1)
		go func() { defer s.wg.Done(); _, _ = io.Copy(stdin, ch); _ = stdin.Close() }()
		err = cmd.Wait()
	}
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return uint32(ee.ExitCode()) //nolint:gosec // exit codes are small
	}
	return 1
}

// SSHKey writes a new ed25519 private key and returns its file and public
// key. With a passphrase, ssh-keygen encrypts it with one KDF round (the
// default 16 cost seconds per load under -race).
func SSHKey(t testing.TB, passphrase string) (string, ssh.PublicKey) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "id_ed25519")
	if passphrase != "" {
		return encryptedSSHKey(t, p, passphrase)
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

func encryptedSSHKey(t testing.TB, p, passphrase string) (string, ssh.PublicKey) {
	t.Helper()
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
