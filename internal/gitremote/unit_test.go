package gitremote_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/internal/reconcile"
)

func TestCommitURL(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name string
		repo gitport.Repo
		sha  string
		want string
	}{
		{"gitlab.com", gitport.Repo{Host: "gitlab.com", Owner: "o", Name: "r"}, sha, "https://gitlab.com/o/r/-/commit/" + sha},
		{"self-hosted GitLab", gitport.Repo{Host: "gitlab.example.com", Owner: "o", Name: "r"}, sha, "https://gitlab.example.com/o/r/-/commit/" + sha},
		{"Bitbucket Cloud", gitport.Repo{Host: "bitbucket.org", Owner: "o", Name: "r"}, sha, "https://bitbucket.org/o/r/commits/" + sha},
		{"Gitea and others", gitport.Repo{Host: "git.example.com:3000", Owner: "o", Name: "r"}, sha, "https://git.example.com:3000/o/r/commit/" + sha},
		{"plain http", gitport.Repo{Host: "git.example.com:3000", Owner: "o", Name: "r", URL: "http://git.example.com:3000/o/r.git"}, sha, "http://git.example.com:3000/o/r/commit/" + sha},
		{"ssh", gitport.Repo{Host: "git.example.com", Owner: "o", Name: "r", URL: "git@git.example.com:o/r.git"}, sha, "https://git.example.com/o/r/commit/" + sha},
		{"Azure DevOps: unknown", gitport.Repo{Host: "dev.azure.com", Owner: "org", Name: "r"}, sha, ""},
		{"no commit", gitport.Repo{Host: "gitlab.com", Owner: "o", Name: "r"}, "", ""},
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

// The URL NetBox holds decides the transport, whatever credentials exist;
// a Repo named by hand is reached over HTTPS.
func TestDefaultURL(t *testing.T) {
	t.Parallel()
	var got []string
	for _, raw := range []string{"http://lab.example:3000/o/r.git", "https://gitlab.example.com/o/r",
		"ssh://git@gitlab.example.com:2222/o/r.git", "git@gitlab.example.com:o/r.git"} {
		r, err := gitport.ParseURL(raw)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, gitremote.DefaultURL(r))
	}
	got = append(got, gitremote.DefaultURL(gitport.Repo{Host: "gitlab.example.com", Owner: "o", Name: "r"}))
	want := []string{"http://lab.example:3000/o/r.git", "https://gitlab.example.com/o/r",
		"ssh://git@gitlab.example.com:2222/o/r.git", "git@gitlab.example.com:o/r.git", "https://gitlab.example.com/o/r.git"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("DefaultURL (-want +got):\n%s", d)
	}
}

// The error's text names git, and the class, retryability and cause reach
// callers that only know gitport.Error.
func TestErrorWrapsGitrepoError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *gitremote.Options) { o.CredentialsFor = nil })
	e.seedAcceptance(t)
	_, err := e.apply(t, gitport.Target{}, nil)
	var ge *gitport.Error
	if !errors.As(err, &ge) {
		t.Fatalf("not a *gitport.Error: %v", err)
	}
	if ge.Class != gitport.ClassAuth || ge.Retryable() || ge.Repo != e.repo || ge.Op != "list references" {
		t.Errorf("gitport.Error = %+v", ge)
	}
	want := "git: " + e.repo.String() + ": list references: authentication required or refused (check the username and token); " +
		"no credentials are sent over plain http unless the operator allows it (an http:// line in the token map, see docs/credentials.md); or use an https URL"
	if err.Error() != want {
		t.Errorf("text = %q, want %q", err.Error(), want)
	}
}

// The port fits the reconciler's interface and the Router's.
var (
	_ reconcile.Repository = (*gitremote.Remote)(nil)
	_ gitport.Repository   = (*gitremote.Remote)(nil)
)
