package githubapi_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// tempErr is a token-source error that says it may pass.
type tempErr struct{ msg string }

func (e tempErr) Error() string   { return e.msg }
func (e tempErr) Temporary() bool { return true }

// TokenSource replaces TokenFor: its token is used, once per Apply, and
// its errors become *gitport.Error naming the repository, classified by
// Temporary, without a write.
func TestTokenSource(t *testing.T) {
	t.Parallel()
	t.Run("token used once per apply", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		var gotRepo atomic.Value
		e := newEnv(t, githubsim.Options{}, func(o *githubapi.GitHubOptions) {
			o.TokenFor = func(gitport.Repo) string { return "ghp_WRONGTESTTOKEN" } // must be ignored
			o.TokenSource = func(ctx context.Context, r gitport.Repo) (string, error) {
				calls.Add(1)
				gotRepo.Store(r)
				return testToken, ctx.Err()
			}
		})
		e.seedAcceptance(t)
		res, err := e.apply(t, gitport.Target{})
		if err != nil || !res.Changed {
			t.Fatalf("Apply = %+v, %v; want a commit", res, err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("TokenSource calls = %d, want 1", n)
		}
		if r := gotRepo.Load().(gitport.Repo); r != e.repo {
			t.Errorf("TokenSource repo = %v, want %v", r, e.repo)
		}
		testkit.CheckAcceptanceLayout(t, testkit.Clone(t, e.bare, "main"), fgdDir)
	})
	tests := []struct {
		name  string
		err   error
		class gitport.Class
	}{
		{name: "terminal", err: errors.New("githubapp: the GitHub App 1 is not installed on hedgehog/fabrics"), class: gitport.ClassAuth},
		{name: "temporary", err: tempErr{"githubapp: create installation token: 502: Bad Gateway"}, class: gitport.ClassTransient},
		{name: "cancelled", err: context.Canceled, class: gitport.ClassTransient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, githubsim.Options{}, func(o *githubapi.GitHubOptions) {
				o.TokenSource = func(context.Context, gitport.Repo) (string, error) { return "", tc.err }
			})
			e.seedAcceptance(t)
			e.sim.ResetStats()
			_, err := e.apply(t, gitport.Target{})
			var ge *gitport.Error
			if !errors.As(err, &ge) {
				t.Fatalf("err = %v (%T), want *gitport.Error", err, err)
			}
			if ge.Class != tc.class || ge.Repo != e.repo || !errors.Is(err, tc.err) {
				t.Errorf("err = %+v, want class %s for %v wrapping %v", ge, tc.class, e.repo, tc.err)
			}
			if !strings.Contains(err.Error(), e.repo.String()) || !strings.Contains(err.Error(), tc.err.Error()) {
				t.Errorf("err text %q does not name the repository and the cause", err)
			}
			if st := e.sim.Stats(); st.Total() != 0 {
				t.Errorf("%d requests after a token error, want 0: %v", st.Total(), st.Requests)
			}
			noToken(t, err)
		})
	}
}
