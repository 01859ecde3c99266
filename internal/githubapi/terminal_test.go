package githubapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

func asError(err error, target **gitport.Error) bool { return errors.As(err, target) }

// Terminal errors name the repository, never contain the token, and are
// not retried.
func TestApplyTerminalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		opts   githubsim.Options
		setup  func(t *testing.T, e *env)
		target gitport.Target
		class  gitport.Class
		status int
		want   string
	}{
		{name: "wrong token", token: "ghp_WRONGTESTTOKEN", class: gitport.ClassAuth, status: 401, want: "Bad credentials"},
		{name: "no token on a private repository", token: "-", class: gitport.ClassNotFound, status: 404, want: "repository not found"},
		{name: "read-only token", token: "ghp_READONLYTESTTOKEN", opts: githubsim.Options{ReadOnlyTokens: []string{"ghp_READONLYTESTTOKEN"}},
			class: gitport.ClassAuth, status: 403, want: "Resource not accessible"},
		{name: "missing repository", target: gitport.Target{Repo: gitport.Repo{Host: "github.com", Owner: owner, Name: "nope"}},
			class: gitport.ClassNotFound, status: 404, want: "repository not found"},
		{name: "protected branch", setup: func(t *testing.T, e *env) {
			if err := e.sim.Protect(owner, name, "main"); err != nil {
				t.Fatal(err)
			}
		}, class: gitport.ClassProtected, status: 422, want: "Protected branch"},
		{name: "missing branch", target: gitport.Target{Branch: "fabric-1"}, class: gitport.ClassNotFound, status: 404, want: `branch "fabric-1" does not exist`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts, func(o *githubapi.GitHubOptions) {
				switch tc.token {
				case "":
				case "-":
					o.TokenFor = nil
				default:
					o.TokenFor = func(gitport.Repo) string { return tc.token }
				}
			})
			e.seedAcceptance(t)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			e.sim.ResetStats()
			_, err := e.apply(t, tc.target)
			var ge *gitport.Error
			if !asError(err, &ge) {
				t.Fatalf("Apply = %v, want *gitport.Error", err)
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
				if n > 1 && !strings.HasSuffix(route, "/git/blobs/{file_sha}") {
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
	gh := githubapi.NewGitHub(githubapi.GitHubOptions{
		APIURL: "http://127.0.0.1:1/", TokenFor: func(gitport.Repo) string { return testToken },
		Transport: rec, RetryMax: -1,
	})
	_, err := gh.Apply(t.Context(), gitport.Target{Repo: gitport.Repo{Host: "github.com", Owner: "o", Name: "r"}, Branch: "main"},
		[]string{""}, testkit.EnginePlan)
	if gitport.ClassOf(err) != gitport.ClassTransient {
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
