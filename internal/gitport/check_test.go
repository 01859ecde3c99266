package gitport

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

func TestValidRefAndPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in         string
		ref, apath bool
	}{
		{"main", true, true},
		{"release/1.0", true, true},
		{"", false, false},
		{"-rf", false, true},
		{"a..b", false, true},
		{"a/../b", false, false},
		{"x.lock", false, true},
		{"a b", false, true},
		{"a@{1}", false, true},
		{"/abs", false, false},
		{"dir/", false, false},
		{".git/config", true, false},
		{"x/.GIT/y", true, false},
		{`a\b`, false, false},
		{"a\x00b", false, false},
	} {
		if got := ValidRef(tc.in); got != tc.ref {
			t.Errorf("ValidRef(%q) = %v, want %v", tc.in, got, tc.ref)
		}
		if got := ValidPath(tc.in); got != tc.apath {
			t.Errorf("ValidPath(%q) = %v, want %v", tc.in, got, tc.apath)
		}
	}
}

func TestCheckTarget(t *testing.T) {
	t.Parallel()
	bad := func(msg string) error { return errors.New(msg) }
	ok := Target{Repo: Repo{Host: "github.com", Owner: "o", Name: "r"}, Branch: "main"}
	for _, tc := range []struct {
		name string
		t    Target
		dirs []string
		want string
	}{
		{"ok", ok, []string{"", "a/b"}, ""},
		{"no owner", Target{Repo: Repo{Name: "r"}, Branch: "main"}, []string{""}, "repository owner and name are required"},
		{"bad branch", Target{Repo: ok.Repo, Branch: "a..b"}, []string{""}, `invalid branch name "a..b"`},
		{"pr branch equals branch", Target{Repo: ok.Repo, Branch: "main", PullRequestBranch: "main"}, []string{""}, `invalid pull-request branch name "main"`},
		{"no dirs", ok, nil, "no directory given"},
		{"escaping dir", ok, []string{"../x"}, `invalid directory "../x"`},
	} {
		err := CheckTarget(tc.t, tc.dirs, bad)
		if got := ""; err != nil {
			got = err.Error()
			if got != tc.want {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		} else if tc.want != "" {
			t.Errorf("%s: no error, want %q", tc.name, tc.want)
		}
	}
}

func TestLastChanges(t *testing.T) {
	t.Parallel()
	in := []fgd.Change{
		{Path: "f/a", Op: fgd.OpCreate, Content: []byte("1")},
		{Path: "f/b", Op: fgd.OpDelete},
		{Path: "f/a", Op: fgd.OpUpdate, Content: []byte("2")},
	}
	got, err := LastChanges(in, []string{"f"})
	if err != nil {
		t.Fatal(err)
	}
	want := []fgd.Change{in[1], in[2]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name string
		c    fgd.Change
	}{
		{"outside", fgd.Change{Path: "g/a", Op: fgd.OpCreate}},
		{"escape", fgd.Change{Path: "f/../g", Op: fgd.OpCreate}},
		{"git dir", fgd.Change{Path: "f/.git/config", Op: fgd.OpCreate}},
		{"unknown op", fgd.Change{Path: "f/a", Op: "chmod"}},
	} {
		if _, err := LastChanges([]fgd.Change{tc.c}, []string{"f"}); err == nil {
			t.Errorf("%s: %+v accepted", tc.name, tc.c)
		}
	}
}
