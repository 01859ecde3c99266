package gitremote_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// gitServer serves the bare repositories under root with git http-backend
// through net/http/cgi on loopback, behind basic auth checked here.
type gitServer struct {
	t          testing.TB
	root       string
	user, pass string
	srv        *httptest.Server

	mu       sync.Mutex
	requests map[string]int // "GET info/refs git-upload-pack", "POST git-receive-pack", ...
	// beforeReceive, when set, runs once before the next push is handed to
	// git: it emulates a writer that lands between Apply's read and push.
	beforeReceive func()
}

func newGitServer(t testing.TB, user, pass string) *gitServer {
	t.Helper()
	s := &gitServer{t: t, root: t.TempDir(), user: user, pass: pass, requests: map[string]int{}}
	backend := testkit.GitHTTPHandler(t, s.root)
	s.srv = httptest.NewServer(testkit.BasicAuth(user, pass, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if svc := r.URL.Query().Get("service"); svc != "" {
			key += " " + svc
		}
		s.mu.Lock()
		s.requests[key]++
		hook := s.beforeReceive
		if key == "POST git-receive-pack" {
			s.beforeReceive = nil
		} else {
			hook = nil
		}
		s.mu.Unlock()
		if hook != nil {
			hook()
		}
		backend.ServeHTTP(w, r)
	})))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the clone URL of owner/name.
func (s *gitServer) URL(owner, name string) string {
	return s.srv.URL + "/" + owner + "/" + name + ".git"
}

// Host is the server's host:port.
func (s *gitServer) Host() string { return strings.TrimPrefix(s.srv.URL, "http://") }

func (s *gitServer) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[key]
}

func (s *gitServer) pushes() int { return s.count("POST git-receive-pack") }

func (s *gitServer) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = map[string]int{}
}

func (s *gitServer) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

func (s *gitServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.requests {
		n += c
	}
	return n
}

// bare creates an empty bare repository and returns its directory.
func (s *gitServer) bare(owner, name string) string {
	s.t.Helper()
	dir := filepath.Join(s.root, owner, name+".git")
	testkit.Git(s.t, ".", "init", "--quiet", "--bare", "--initial-branch=main", dir)
	return dir
}

// hook installs an executable hook script in a bare repository.
func hook(t testing.TB, bare, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(bare, "hooks", name), []byte(script), 0o755); err != nil { //nolint:gosec // a hook must be executable
		t.Fatal(err)
	}
}

// commitFiles commits files onto branch of bare (creating the branch from
// its current head, or as the first commit) with the git binary, and
// returns the new head.
func commitFiles(t testing.TB, bare, branch string, files map[string][]byte, msg string) string {
	t.Helper()
	work := filepath.Join(t.TempDir(), "work")
	testkit.Git(t, ".", "init", "--quiet", "--initial-branch="+branch, work)
	testkit.Git(t, work, "remote", "add", "origin", bare)
	if _, err := testkit.GitErr(t, work, "fetch", "--quiet", "origin", branch); err == nil {
		testkit.Git(t, work, "reset", "--quiet", "--hard", "FETCH_HEAD")
	}
	testkit.WriteFiles(t, work, files)
	testkit.Git(t, work, "add", "-A")
	testkit.Git(t, work, "commit", "--quiet", "-m", msg)
	testkit.Git(t, work, "push", "--quiet", "origin", "HEAD:refs/heads/"+branch)
	return strings.TrimSpace(testkit.Git(t, work, "rev-parse", "HEAD"))
}

// revParse returns the commit rev names in bare, "" when it does not exist.
func revParse(t testing.TB, bare, rev string) string {
	t.Helper()
	out, err := testkit.GitErr(t, ".", "--git-dir", bare, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// fsck checks the repository's objects and connectivity as git sees them.
func fsck(t testing.TB, bare string) {
	t.Helper()
	testkit.Git(t, ".", "--git-dir", bare, "fsck", "--strict", "--no-dangling")
}
