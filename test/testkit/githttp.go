package testkit

import (
	"io"
	"net/http"
	"net/http/cgi"
	"os"
	"testing"
)

// GitHTTPBackend is git's own smart-HTTP server; tests that need it fail
// without it rather than skip.
const GitHTTPBackend = "/usr/lib/git-core/git-http-backend"

// GitHTTPHandler serves the bare repositories under root (as
// root/<owner>/<name>.git) with git http-backend through net/http/cgi,
// pushes allowed. It does no authentication: wrap it (BasicAuth).
func GitHTTPHandler(t testing.TB, root string) http.Handler {
	t.Helper()
	if _, err := os.Stat(GitHTTPBackend); err != nil {
		t.Fatalf("git http-backend is required for these tests (install the git package): %v", err)
	}
	GitBin(t)
	return &cgi.Handler{
		Path:   GitHTTPBackend,
		Root:   "/",
		Stderr: io.Discard, // "Not a git repository" and hook output: tests assert on what the client gets
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"HOME=" + t.TempDir(),
			// Authentication is the wrapper's, so pushes are allowed.
			"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true",
		},
	}
}

// BasicAuth answers 401 with a Basic challenge unless the request carries
// user and pass, else hands it to next.
func BasicAuth(user, pass string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
