package gitremote_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/internal/gitrepo"
	"github.com/githedgehog/hnp-gitops/internal/reconcile"
)

func TestCommitURL(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name string
		repo gitrepo.Repo
		sha  string
		want string
	}{
		{"gitlab.com", gitrepo.Repo{Host: "gitlab.com", Owner: "o", Name: "r"}, sha, "https://gitlab.com/o/r/-/commit/" + sha},
		{"self-hosted GitLab", gitrepo.Repo{Host: "gitlab.example.com", Owner: "o", Name: "r"}, sha, "https://gitlab.example.com/o/r/-/commit/" + sha},
		{"Bitbucket Cloud", gitrepo.Repo{Host: "bitbucket.org", Owner: "o", Name: "r"}, sha, "https://bitbucket.org/o/r/commits/" + sha},
		{"Gitea and others", gitrepo.Repo{Host: "git.example.com:3000", Owner: "o", Name: "r"}, sha, "https://git.example.com:3000/o/r/commit/" + sha},
		{"Azure DevOps: unknown", gitrepo.Repo{Host: "dev.azure.com", Owner: "org", Name: "r"}, sha, ""},
		{"no commit", gitrepo.Repo{Host: "gitlab.com", Owner: "o", Name: "r"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := gitremote.CommitURL(tc.repo, tc.sha); got != tc.want {
				t.Errorf("CommitURL = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDefaultURL(t *testing.T) {
	t.Parallel()
	r := gitrepo.Repo{Host: "gitlab.example.com", Owner: "o", Name: "r"}
	got := []string{
		gitremote.DefaultURL(r, gitremote.Credentials{Password: "x"}),
		gitremote.DefaultURL(r, gitremote.Credentials{SSHKeyFile: "/k"}),
	}
	want := []string{"https://gitlab.example.com/o/r.git", "git@gitlab.example.com:o/r.git"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("DefaultURL (-want +got):\n%s", d)
	}
}

type fakePort struct{ calls []string }

func (f *fakePort) Apply(_ context.Context, t gitrepo.Target, _ []string, _ gitrepo.PlanFunc) (gitrepo.Result, error) {
	f.calls = append(f.calls, t.Repo.Host)
	return gitrepo.Result{}, nil
}

func TestRouter(t *testing.T) {
	t.Parallel()
	gh, generic := &fakePort{}, &fakePort{}
	r := gitremote.NewRouter(gh, generic, []string{" GHE.example.com ", ""})
	for _, h := range []string{"github.com", "ghe.example.com", "GitHub.com", "ghe.example.com:8443", "gitlab.com", "bitbucket.org", "git.example.com", "ghe.example.com.evil", "github.com.evil:443"} {
		if _, err := r.Apply(t.Context(), gitrepo.Target{Repo: gitrepo.Repo{Host: h, Owner: "o", Name: "r"}}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff([]string{"github.com", "ghe.example.com", "GitHub.com", "ghe.example.com:8443"}, gh.calls); d != "" {
		t.Errorf("GitHub port (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"gitlab.com", "bitbucket.org", "git.example.com", "ghe.example.com.evil", "github.com.evil:443"}, generic.calls); d != "" {
		t.Errorf("generic port (-want +got):\n%s", d)
	}
}

// The error's text names git, and the class, retryability and cause reach
// callers that only know gitrepo.Error.
func TestErrorWrapsGitrepoError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *gitremote.Options) { o.CredentialsFor = nil })
	e.seedAcceptance(t)
	_, err := e.apply(t, gitrepo.Target{}, nil)
	var ge *gitrepo.Error
	if !errors.As(err, &ge) {
		t.Fatalf("not a *gitrepo.Error: %v", err)
	}
	if ge.Class != gitrepo.ClassAuth || ge.Retryable() || ge.Repo != e.repo || ge.Op != "list references" {
		t.Errorf("gitrepo.Error = %+v", ge)
	}
	want := "git: " + e.repo.String() + ": list references: authentication required or refused (check the username and token)"
	if err.Error() != want {
		t.Errorf("text = %q, want %q", err.Error(), want)
	}
}

// Both ports fit the reconciler's interface and the Router's.
var (
	_ reconcile.Repository = (*gitremote.Remote)(nil)
	_ reconcile.Repository = (*gitremote.Router)(nil)
	_ gitremote.Repository = (*gitrepo.GitHub)(nil)
)
