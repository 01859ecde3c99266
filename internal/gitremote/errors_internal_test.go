package gitremote

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// The reasons git servers give for a refused ref update.
func TestClassifyPush(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reason string
		want   gitport.Class
	}{
		{"failed to update ref", gitport.ClassConflict},
		{"fetch first", gitport.ClassConflict},
		{"non-fast-forward", gitport.ClassConflict},
		{"stale info", gitport.ClassConflict},
		{"cannot lock ref 'refs/heads/main': is at 1 but expected 2", gitport.ClassConflict},
		{"pre-receive hook declined", gitport.ClassProtected},      // git, GitLab, Gitea, Bitbucket
		{"protected branch hook declined", gitport.ClassProtected}, // GitHub
		{"TF402455: Pushes to this branch are not permitted; you must use a pull request to update this branch.", gitport.ClassProtected},
		{"deny updating a hidden ref", gitport.ClassProtected},
		{"funny refname", gitport.ClassTransient},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			t.Parallel()
			err := classifyPush(gitport.Repo{Host: "h", Owner: "o", Name: "r"}, "push refs/heads/main", tc.reason, "")
			if got := gitport.ClassOf(err); got != tc.want {
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
	err := sc.classify(gitport.Repo{Host: "h", Owner: "o", Name: "r"}, "op", fmt.Errorf("at https://u:s3cret-token@h/o/r: %w", sentinel))
	if !errors.Is(err, sentinel) {
		t.Error("the cause is lost")
	}
	var sec *secretCause
	if !errors.As(err, &sec) || strings.Contains(sec.Error(), "s3cret") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("secret in %q / %v", err, sec)
	}
}
