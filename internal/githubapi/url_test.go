package githubapi_test

import (
	"net/http"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
)

func TestRoute(t *testing.T) {
	t.Parallel()
	tests := []struct{ method, url, want string }{
		{"GET", "https://api.github.com/repos/o/r/git/ref/heads/feature/x", "GET /repos/{owner}/{repo}/git/ref/{ref}"},
		{"PATCH", "https://api.github.com/repos/o/r/git/refs/heads/main", "PATCH /repos/{owner}/{repo}/git/refs/{ref}"},
		{"POST", "https://api.github.com/repos/o/r/git/refs", "POST /repos/{owner}/{repo}/git/refs"},
		{"GET", "https://api.github.com/repos/o/r/git/trees/abc?recursive=1", "GET /repos/{owner}/{repo}/git/trees/{tree_sha}"},
		{"POST", "https://api.github.com/repos/o/r/git/trees", "POST /repos/{owner}/{repo}/git/trees"},
		{"GET", "https://api.github.com/repos/o/r/git/blobs/abc", "GET /repos/{owner}/{repo}/git/blobs/{file_sha}"},
		{"GET", "https://api.github.com/repos/o/r/git/commits/abc", "GET /repos/{owner}/{repo}/git/commits/{commit_sha}"},
		{"PUT", "https://ghe.example.com/api/v3/repos/o/r/contents/a/b/c.yaml", "PUT /repos/{owner}/{repo}/contents/{path}"},
		{"GET", "https://api.github.com/repos/o/r", "GET /repos/{owner}/{repo}"},
		{"GET", "https://api.github.com/repos/o/r/pulls?head=o:b", "GET /repos/{owner}/{repo}/pulls"},
		{"GET", "https://api.github.com/repos/o/r/compare/a...b", "GET /repos/{owner}/{repo}/compare/{basehead}"},
		{"GET", "https://api.github.com/repos/o/r/installation", "GET /repos/{owner}/{repo}/installation"},
		{"POST", "https://ghe.example.com/api/v3/app/installations/42/access_tokens", "POST /app/installations/{installation_id}/access_tokens"},
		{"GET", "https://api.github.com/user", "GET other"},
		{"GET", "https://api.github.com/repos/o/r/git/unknown/x", "GET other"},
		// Operations the project never calls are not named.
		{"GET", "https://api.github.com/repos/o/r/pulls/7", "GET other"},
		{"GET", "https://api.github.com/rate_limit", "GET other"},
		{"DELETE", "https://api.github.com/repos/o/r/contents/a.yaml", "DELETE other"},
		{"GET", "https://api.github.com/repos/o/r/contents/a.yaml", "GET other"},
		{"GET", "https://api.github.com/repos/o/r/git/refs/heads/main", "GET other"},
	}
	for _, tc := range tests {
		req, err := http.NewRequest(tc.method, tc.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := githubapi.Route(req); got != tc.want {
			t.Errorf("Route(%s %s) = %q, want %q", tc.method, tc.url, got, tc.want)
		}
	}
}
