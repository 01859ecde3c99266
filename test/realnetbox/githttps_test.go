package realnetbox

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/test/testkit"
)

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
	g := &gitHTTPS{root: t.TempDir()}
	g.srv = httptest.NewTLSServer(testkit.BasicAuth(gitUser, gitToken, testkit.GitHTTPHandler(t, g.root)))
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
