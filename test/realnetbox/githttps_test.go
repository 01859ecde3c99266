package realnetbox

import (
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/testkit"
)

// gitHTTPBackend is git's own smart-HTTP server.
const gitHTTPBackend = "/usr/lib/git-core/git-http-backend"

// Basic-auth credentials of the git server (fake).
const (
	gitUser  = "hnp-gitops"
	gitToken = "gittoken-realsuite-FAKE-0123456789"
)

// gitHTTPS is a real git server, git http-backend behind basic auth, over
// HTTPS with a certificate of its own CA: the generic-git path of the
// service (a host that is not GitHub), trusting the CA through --ca-file.
type gitHTTPS struct {
	root   string
	srv    *httptest.Server
	caFile string
}

func startGitHTTPS(t *testing.T) *gitHTTPS {
	t.Helper()
	if _, err := os.Stat(gitHTTPBackend); err != nil {
		t.Fatalf("git http-backend is required (install the git package): %v", err)
	}
	testkit.GitBin(t)
	g := &gitHTTPS{root: t.TempDir()}
	backend := &cgi.Handler{
		Path: gitHTTPBackend, Root: "/", Stderr: io.Discard,
		Env: []string{"GIT_PROJECT_ROOT=" + g.root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + t.TempDir(),
			"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true"},
	}
	g.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != gitUser || p != gitToken {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(g.srv.Close)
	g.caFile = filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: g.srv.Certificate().Raw})
	if err := os.WriteFile(g.caFile, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	return g
}

// host is the server's host:port.
func (g *gitHTTPS) host() string { return strings.TrimPrefix(g.srv.URL, "https://") }

// newRepo makes a bare repository with files on main and returns its clone
// URL and directory.
func (g *gitHTTPS) newRepo(t *testing.T, name string, files map[string][]byte) (string, string) {
	t.Helper()
	bare := filepath.Join(g.root, owner, name+".git")
	testkit.Git(t, ".", "init", "--quiet", "--bare", "--initial-branch=main", bare)
	work := t.TempDir()
	testkit.Git(t, work, "init", "--quiet", "--initial-branch=main")
	testkit.WriteFiles(t, work, files)
	testkit.Git(t, work, "add", "-A")
	testkit.Git(t, work, "-c", "user.name=Seeder", "-c", "user.email=seeder@example.com", "commit", "--quiet", "-m", "Seed "+name)
	testkit.Git(t, work, "push", "--quiet", bare, "main")
	return g.srv.URL + "/" + owner + "/" + name + ".git", bare
}
