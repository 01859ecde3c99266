package gitport_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

type fakePort struct{ calls []string }

func (f *fakePort) Apply(_ context.Context, t gitport.Target, _ []string, _ gitport.PlanFunc) (gitport.Result, error) {
	f.calls = append(f.calls, t.Repo.Host)
	return gitport.Result{}, nil
}

func TestRouter(t *testing.T) {
	t.Parallel()
	gh, generic := &fakePort{}, &fakePort{}
	r := gitport.NewRouter(gh, generic, []string{" GHE.example.com ", ""})
	for _, h := range []string{"github.com", "ghe.example.com", "GitHub.com", "ghe.example.com:8443", "gitlab.com", "bitbucket.org", "git.example.com", "ghe.example.com.evil", "github.com.evil:443"} {
		if _, err := r.Apply(t.Context(), gitport.Target{Repo: gitport.Repo{Host: h, Owner: "o", Name: "r"}}, nil, nil); err != nil {
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
