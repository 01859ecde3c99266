package gitrepo_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/gitrepo"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     gitrepo.Repo
		wantErr  bool
	}{
		{name: "https", in: "https://github.com/githedgehog/fabric", want: gitrepo.Repo{Host: "github.com", Owner: "githedgehog", Name: "fabric"}},
		{name: "https .git", in: "https://github.com/githedgehog/fabric.git", want: gitrepo.Repo{Host: "github.com", Owner: "githedgehog", Name: "fabric"}},
		{name: "trailing slash", in: "https://github.com/o/r/", want: gitrepo.Repo{Host: "github.com", Owner: "o", Name: "r"}},
		{name: "www", in: "https://www.github.com/o/r", want: gitrepo.Repo{Host: "github.com", Owner: "o", Name: "r"}},
		{name: "http GHE with port", in: "http://ghe.corp:8080/o/r.git", want: gitrepo.Repo{Host: "ghe.corp:8080", Owner: "o", Name: "r"}},
		{name: "credentials dropped", in: "https://x-access-token:SECRETPASS@github.com/o/r.git", want: gitrepo.Repo{Host: "github.com", Owner: "o", Name: "r"}},
		{name: "scp-like", in: "git@github.com:o/r.git", want: gitrepo.Repo{Host: "github.com", Owner: "o", Name: "r"}},
		{name: "scp-like GHE", in: "git@GHE.example.com:team/repo", want: gitrepo.Repo{Host: "ghe.example.com", Owner: "team", Name: "repo"}},
		{name: "ssh with port", in: "ssh://git@ghe.example.com:2222/o/r.git", want: gitrepo.Repo{Host: "ghe.example.com", Owner: "o", Name: "r"}},
		{name: "empty", in: "", wantErr: true},
		{name: "no owner", in: "https://github.com/r", wantErr: true},
		{name: "tree URL", in: "https://github.com/o/r/tree/main", wantErr: true},
		{name: "ftp", in: "ftp://github.com/o/r", wantErr: true},
		{name: "file", in: "file:///srv/git/r.git", wantErr: true},
		{name: "bare path", in: "github.com/o/r", wantErr: true},
		{name: "dotdot", in: "https://github.com/../r", wantErr: true},
		{name: "query", in: "https://github.com/o/r?x=1", wantErr: true},
		{name: "bad chars", in: "https://github.com/o/r%20x", wantErr: true},
		{name: "credentials in a bad URL", in: "ftp://user:SECRETPASS@github.com/o/r", wantErr: true},
		{name: "credentials in scp-like", in: "user:SECRETPASS@github.com/o/r", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := gitrepo.ParseURL(tc.in)
			if tc.wantErr {
				if gitrepo.ClassOf(err) != gitrepo.ClassInvalid {
					t.Fatalf("ParseURL(%q) = %v, %v; want an invalid error", tc.in, got, err)
				}
				if strings.Contains(err.Error(), "SECRETPASS") {
					t.Errorf("error echoes the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ParseURL(%q) (-want +got):\n%s", tc.in, d)
			}
		})
	}
}

func TestRoute(t *testing.T) {
	t.Parallel()
	tests := []struct{ method, url, want string }{
		{"GET", "https://api.github.com/repos/o/r/git/ref/heads/feature/x", "GET /repos/{owner}/{repo}/git/ref/{ref}"},
		{"PATCH", "https://api.github.com/repos/o/r/git/refs/heads/main", "PATCH /repos/{owner}/{repo}/git/refs/{ref}"},
		{"POST", "https://api.github.com/repos/o/r/git/refs", "POST /repos/{owner}/{repo}/git/refs"},
		{"GET", "https://api.github.com/repos/o/r/git/trees/abc?recursive=1", "GET /repos/{owner}/{repo}/git/trees/{sha}"},
		{"POST", "https://api.github.com/repos/o/r/git/trees", "POST /repos/{owner}/{repo}/git/trees"},
		{"GET", "https://api.github.com/repos/o/r/git/blobs/abc", "GET /repos/{owner}/{repo}/git/blobs/{sha}"},
		{"GET", "https://api.github.com/repos/o/r/git/commits/abc", "GET /repos/{owner}/{repo}/git/commits/{sha}"},
		{"PUT", "https://ghe.example.com/api/v3/repos/o/r/contents/a/b/c.yaml", "PUT /repos/{owner}/{repo}/contents/{path}"},
		{"GET", "https://api.github.com/repos/o/r", "GET /repos/{owner}/{repo}"},
		{"GET", "https://api.github.com/repos/o/r/pulls?head=o:b", "GET /repos/{owner}/{repo}/pulls"},
		{"GET", "https://api.github.com/repos/o/r/compare/a...b", "GET /repos/{owner}/{repo}/compare/{basehead}"},
		{"GET", "https://api.github.com/repos/o/r/installation", "GET /repos/{owner}/{repo}/installation"},
		{"POST", "https://ghe.example.com/api/v3/app/installations/42/access_tokens", "POST /app/installations/{id}/access_tokens"},
		{"GET", "https://api.github.com/user", "GET other"},
		{"GET", "https://api.github.com/repos/o/r/git/unknown/x", "GET other"},
	}
	for _, tc := range tests {
		req, err := http.NewRequest(tc.method, tc.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := gitrepo.Route(req); got != tc.want {
			t.Errorf("Route(%s %s) = %q, want %q", tc.method, tc.url, got, tc.want)
		}
	}
}
