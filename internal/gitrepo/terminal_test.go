package gitrepo_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitrepo"
	"github.com/githedgehog/hnp-gitops/internal/testkit"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
)

func asError(err error, target **gitrepo.Error) bool { return errors.As(err, target) }

// Terminal errors name the repository, never contain the token, and are
// not retried.
func TestApplyTerminalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		opts   githubsim.Options
		setup  func(t *testing.T, e *env)
		target gitrepo.Target
		class  gitrepo.Class
		status int
		want   string
	}{
		{name: "wrong token", token: "ghp_WRONGTESTTOKEN", class: gitrepo.ClassAuth, status: 401, want: "Bad credentials"},
		{name: "no token on a private repository", token: "-", class: gitrepo.ClassNotFound, status: 404, want: "repository not found"},
		{name: "read-only token", token: "ghp_READONLYTESTTOKEN", opts: githubsim.Options{ReadOnlyTokens: []string{"ghp_READONLYTESTTOKEN"}},
			class: gitrepo.ClassAuth, status: 403, want: "Resource not accessible"},
		{name: "missing repository", target: gitrepo.Target{Repo: gitrepo.Repo{Host: "github.com", Owner: owner, Name: "nope"}},
			class: gitrepo.ClassNotFound, status: 404, want: "repository not found"},
		{name: "protected branch", setup: func(t *testing.T, e *env) {
			if err := e.sim.Protect(owner, name, "main"); err != nil {
				t.Fatal(err)
			}
		}, class: gitrepo.ClassProtected, status: 422, want: "Protected branch"},
		{name: "missing branch", target: gitrepo.Target{Branch: "fabric-1"}, class: gitrepo.ClassNotFound, status: 404, want: `branch "fabric-1" does not exist`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts, func(o *gitrepo.GitHubOptions) {
				switch tc.token {
				case "":
				case "-":
					o.TokenFor = nil
				default:
					o.TokenFor = func(gitrepo.Repo) string { return tc.token }
				}
			})
			e.seedAcceptance(t)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			e.sim.ResetStats()
			_, err := e.apply(t, tc.target)
			var ge *gitrepo.Error
			if !asError(err, &ge) {
				t.Fatalf("Apply = %v, want *gitrepo.Error", err)
			}
			if ge.Class != tc.class || ge.StatusCode != tc.status || ge.Retryable() {
				t.Errorf("class %s status %d retryable %v, want %s %d false", ge.Class, ge.StatusCode, ge.Retryable(), tc.class, tc.status)
			}
			repoName := owner + "/" + name
			if tc.target.Repo.Name != "" {
				repoName = owner + "/" + tc.target.Repo.Name
			}
			if !strings.Contains(err.Error(), repoName) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to name %s and say %q", err, repoName, tc.want)
			}
			noToken(t, err)
			for _, tok := range []string{"WRONGTESTTOKEN", "READONLYTESTTOKEN"} {
				if strings.Contains(err.Error(), tok) {
					t.Errorf("error contains the token: %v", err)
				}
			}
			st := e.sim.Stats()
			if st.RefUpdates != 0 {
				t.Errorf("ref updates=%d, want none", st.RefUpdates)
			}
			for route, n := range st.Requests {
				if n > 1 && !strings.HasSuffix(route, "/git/blobs/{sha}") {
					t.Errorf("%s requested %d times: a terminal error was retried", route, n)
				}
			}
			if len(testkit.GitLog(t, e.bare, "main")) != 1 {
				t.Error("the branch moved")
			}
		})
	}
}

// The token reaches GitHub only in the Authorization header.
func TestTokenOnlyInHeader(t *testing.T) {
	t.Parallel()
	var seen []string
	rec := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = append(seen, r.URL.String())
		return nil, errors.New("offline")
	})
	gh := gitrepo.NewGitHub(gitrepo.GitHubOptions{
		APIURL: "http://127.0.0.1:1/", TokenFor: func(gitrepo.Repo) string { return testToken },
		Transport: rec, RetryMax: -1,
	})
	_, err := gh.Apply(t.Context(), gitrepo.Target{Repo: gitrepo.Repo{Host: "github.com", Owner: "o", Name: "r"}, Branch: "main"},
		[]string{""}, testkit.EnginePlan)
	if gitrepo.ClassOf(err) != gitrepo.ClassTransient {
		t.Fatalf("Apply = %v, want transient", err)
	}
	noToken(t, err)
	for _, u := range seen {
		if strings.Contains(u, testToken) {
			t.Errorf("token in URL %s", u)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
