package gitport

import (
	"fmt"
	"strings"

	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// The checks below are shared by every implementation of the port, so that
// a plan is held to the same rules whichever host it lands on.

// ValidRef accepts a branch name git and the hosts accept: no leading "-",
// no "..", "//", "@{", control characters or ~^:?*[\ and no ".lock" suffix.
func ValidRef(b string) bool {
	if b == "" || strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") || strings.HasSuffix(b, ".lock") ||
		strings.HasPrefix(b, "-") || strings.Contains(b, "..") || strings.Contains(b, "//") || strings.Contains(b, "@{") {
		return false
	}
	for _, r := range b {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("~^:?*[\\", r) {
			return false
		}
	}
	return true
}

// ValidPath accepts a clean, relative, slash-separated path that does not
// reach into .git.
func ValidPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.EqualFold(seg, ".git") {
			return false
		}
	}
	for _, r := range p {
		if r < ' ' || r == 0x7f || r == '\\' {
			return false
		}
	}
	return true
}

// CheckTarget validates what Apply is asked to do before any request. bad
// builds the implementation's own error from a one-line reason.
func CheckTarget(t Target, dirs []string, bad func(msg string) error) error {
	if t.Repo.Owner == "" || t.Repo.Name == "" {
		return bad("repository owner and name are required")
	}
	if !ValidRef(t.Branch) {
		return bad(fmt.Sprintf("invalid branch name %q", t.Branch))
	}
	if t.PullRequestBranch != "" && (!ValidRef(t.PullRequestBranch) || t.PullRequestBranch == t.Branch) {
		return bad(fmt.Sprintf("invalid pull-request branch name %q", t.PullRequestBranch))
	}
	if len(dirs) == 0 {
		return bad("no directory given")
	}
	for _, d := range dirs {
		if d != "" && !ValidPath(d) {
			return bad(fmt.Sprintf("invalid directory %q", d))
		}
	}
	return nil
}

// LastChanges checks a plan's changes (valid repository paths inside one of
// dirs, known operations) and returns, in the plan's order, the last change
// of each path: a later change of a path replaces an earlier one.
func LastChanges(in []fgd.Change, dirs []string) ([]fgd.Change, error) {
	last := map[string]int{}
	for i, c := range in {
		if !ValidPath(c.Path) {
			return nil, fmt.Errorf("invalid path %q", c.Path)
		}
		inside := false
		for _, d := range dirs {
			if d == "" || strings.HasPrefix(c.Path, d+"/") {
				inside = true
			}
		}
		if !inside {
			return nil, fmt.Errorf("path %q is outside the directories %q", c.Path, dirs)
		}
		switch c.Op {
		case fgd.OpCreate, fgd.OpUpdate, fgd.OpDelete:
		default:
			return nil, fmt.Errorf("path %q: unknown operation %q", c.Path, c.Op)
		}
		last[c.Path] = i
	}
	out := make([]fgd.Change, 0, len(last))
	for i, c := range in {
		if last[c.Path] == i {
			out = append(out, c)
		}
	}
	return out, nil
}
