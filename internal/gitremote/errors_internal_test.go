package gitremote

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitrepo"
)

// The reasons git servers give for a refused ref update.
func TestClassifyPush(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reason string
		want   gitrepo.Class
	}{
		{"failed to update ref", gitrepo.ClassConflict},
		{"fetch first", gitrepo.ClassConflict},
		{"non-fast-forward", gitrepo.ClassConflict},
		{"stale info", gitrepo.ClassConflict},
		{"cannot lock ref 'refs/heads/main': is at 1 but expected 2", gitrepo.ClassConflict},
		{"pre-receive hook declined", gitrepo.ClassProtected},      // git, GitLab, Gitea, Bitbucket
		{"protected branch hook declined", gitrepo.ClassProtected}, // GitHub
		{"TF402455: Pushes to this branch are not permitted; you must use a pull request to update this branch.", gitrepo.ClassProtected},
		{"deny updating a hidden ref", gitrepo.ClassProtected},
		{"funny refname", gitrepo.ClassTransient},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			t.Parallel()
			err := classifyPush(gitrepo.Repo{Host: "h", Owner: "o", Name: "r"}, "push refs/heads/main", tc.reason, "")
			if got := gitrepo.ClassOf(err); got != tc.want {
				t.Errorf("class = %q, want %q", got, tc.want)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not name the reason", err)
			}
		})
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	sc := scrubber{secrets: []string{"s3cret-token", ""}}
	tests := []struct{ in, want string }{
		{`Get "https://user:s3cret-token@git.example.com/o/r.git/info/refs": EOF`, `Get "https://git.example.com/o/r.git/info/refs": EOF`},
		{"remote: token s3cret-token is expired", "remote: token [redacted] is expired"},
		{"ssh://git@host:22/o/r.git", "ssh://host:22/o/r.git"},
		{"nothing secret", "nothing secret"},
	}
	for _, tc := range tests {
		if got := sc.scrub(tc.in); got != tc.want {
			t.Errorf("scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// The cause keeps its identity for errors.Is, with a scrubbed text.
	sentinel := errors.New("boom")
	err := sc.classify(gitrepo.Repo{Host: "h", Owner: "o", Name: "r"}, "op", fmt.Errorf("at https://u:s3cret-token@h/o/r: %w", sentinel))
	if !errors.Is(err, sentinel) {
		t.Error("the cause is lost")
	}
	var sec *secretCause
	if !errors.As(err, &sec) || strings.Contains(sec.Error(), "s3cret") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("secret in %q / %v", err, sec)
	}
}
