package gitport

import (
	"fmt"
	"sort"
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

// Effective is one change of a plan that the head does not already
// satisfy: a delete of a path the head has (Current is its entry), or a
// write of a blob (SHA) the path does not hold yet. Ref marks a write by
// reference: the blob is one the head holds and Content is nil.
type Effective struct {
	Path    string
	Delete  bool
	Current fgd.Entry // the head's entry of Path, for a delete
	SHA     string
	Content []byte
	Ref     bool
}

// EffectiveChanges validates a plan's changes (repository paths inside
// one of dirs, the last change per path), drops those the head (index,
// by repository path) already satisfies, and sorts the rest by path. A
// write by reference must name a blob known(sha) accepts and carry no
// content. Every adapter computes its write from this.
func EffectiveChanges(in []fgd.Change, dirs []string, index map[string]fgd.Entry, known func(sha string) bool) ([]Effective, error) {
	in, err := LastChanges(in, dirs)
	if err != nil {
		return nil, err
	}
	var out []Effective
	for _, c := range in {
		cur, exists := index[c.Path]
		if c.Op == fgd.OpDelete {
			if exists { // deleting a missing path is an error on GitHub
				out = append(out, Effective{Path: c.Path, Delete: true, Current: cur})
			}
			continue
		}
		e := Effective{Path: c.Path, SHA: fgd.BlobSHA(c.Content), Content: c.Content, Ref: c.SHA != ""}
		if e.Ref {
			// A file over the engine's size limit, never read: its blob
			// must be one the head holds.
			if c.Content != nil || !known(c.SHA) {
				return nil, fmt.Errorf("path %q: blob %q is not a file of the directories at head", c.Path, c.SHA)
			}
			e.SHA = c.SHA
		}
		if exists && cur.SHA == e.SHA && (cur.Type == fgd.TypeFile || cur.Type == fgd.TypeExecutable) {
			continue
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Snapshots builds each FGD's snapshot from its listing at head (dirs to
// entries relative to the FGD) and the content of the paths wanted names,
// read with read. Only regular files are read: symlinks and submodules
// never are. Every adapter reads the head through this.
func Snapshots(dirs []string, listing map[string][]fgd.Entry, wanted func([]fgd.Entry) []string,
	read func(dir string, e fgd.Entry) ([]byte, error)) (map[string]fgd.Snapshot, error) {
	out := make(map[string]fgd.Snapshot, len(dirs))
	for _, d := range dirs {
		entries := listing[d]
		snap := fgd.Snapshot{Entries: entries, Contents: map[string][]byte{}}
		want := wanted(entries)
		if len(want) == 0 {
			// A steady-state FGD needs no content: no index either (a
			// batch of a hundred FGDs would build a hundred for nothing).
			out[d] = snap
			continue
		}
		byPath := make(map[string]fgd.Entry, len(entries))
		for _, e := range entries {
			byPath[e.Path] = e
		}
		for _, p := range want {
			e, ok := byPath[p]
			if !ok || (e.Type != fgd.TypeFile && e.Type != fgd.TypeExecutable) {
				continue
			}
			b, err := read(d, e)
			if err != nil {
				return nil, err
			}
			snap.Contents[p] = b
		}
		out[d] = snap
	}
	return out, nil
}
