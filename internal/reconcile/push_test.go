package reconcile

import (
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/status"
)

// pushHarness has two fabrics on github.com/o/a (fab/one, fab/two), one
// at the root of github.com/o/b, and the real URL parser (ssh forms).
func pushHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, func(o *Options) { o.ParseURL = gitport.ParseURL })
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addRepo(2, "https://github.com/o/b.git")
	h.nb.addFabric(1, 1, "fab/one", status.Initialized)
	h.nb.addFabric(2, 1, "/fab/two/", status.Initialized)
	h.nb.addFabric(3, 2, "", status.Initialized)
	return h
}

func (h *harness) reconciled(id int64) bool {
	_, ok := h.c.LastOutcome(id)
	return ok
}

// A complete push queues the fabrics whose raw/ or flat YAML it touched,
// matching the repository by any of its URL forms.
func TestPushQueuesTheFabricsItTouches(t *testing.T) {
	t.Parallel()
	h := pushHarness(t)
	h.run(t)
	h.c.EnqueuePush(Push{
		URLs:   []string{"https://github.com/O/A", "git@github.com:O/A.git"},
		Branch: "main", Complete: true, Reason: "github push",
		Paths: []string{"fab/one/raw/new.yaml", "fab/two/managed/vpcs/x.yaml", "README.md"},
	})
	h.outcomeFor(t, 1, anyOutcome)
	// The root fabric of o/b takes README.md-like root files, but not o/a's.
	h.c.EnqueuePush(Push{URLs: []string{"ssh://git@github.com:22/o/b"}, Branch: "main", Complete: true, Paths: []string{"top.YML"}, Reason: "github push"})
	h.outcomeFor(t, 3, anyOutcome)
	if h.reconciled(2) {
		t.Error("fabric 2 was queued by a change to its managed/ only")
	}
}

// A push whose file list is incomplete queues every fabric on the
// repository and branch; another branch queues none.
func TestIncompletePushQueuesEveryFabricOfTheBranch(t *testing.T) {
	t.Parallel()
	h := pushHarness(t)
	h.run(t)
	h.c.EnqueuePush(Push{URLs: []string{"https://github.com/o/a.git"}, Branch: "other", Reason: "github push"})
	h.c.EnqueuePush(Push{URLs: []string{"https://github.com/o/a.git"}, Branch: "main", Reason: "github push"})
	h.outcomeFor(t, 1, anyOutcome)
	h.outcomeFor(t, 2, anyOutcome)
	if h.reconciled(3) {
		t.Error("fabric 3 of another repository was queued")
	}
}

// The map of repositories to fabrics is read once and reused until a
// fabric or repository webhook, or a resync pass, makes it stale.
func TestPushIndexIsCachedAndInvalidated(t *testing.T) {
	t.Parallel()
	h := pushHarness(t)
	h.run(t)
	lists := func() int { h.nb.mu.Lock(); defer h.nb.mu.Unlock(); return h.nb.lists }
	push := Push{URLs: []string{"https://github.com/o/b"}, Branch: "main", Reason: "github push"}
	h.c.EnqueuePush(push)
	waitFor(t, "the first listing", func() bool { return lists() == 1 })
	h.outcomeFor(t, 3, anyOutcome)
	h.c.EnqueuePush(push)
	time.Sleep(50 * time.Millisecond)
	if got := lists(); got != 1 {
		t.Fatalf("a second push listed the fabrics again (%d listings)", got)
	}
	// A fabric moves to o/b: its webhook makes the map stale.
	h.nb.mu.Lock()
	h.nb.fabrics[1].GitRepositoryID = 2
	h.nb.fabrics[1].GitOpsDirectory = "moved"
	h.nb.mu.Unlock()
	h.c.EnqueueRequest(1, "webhook updated", "r1")
	plans := func() int {
		n := 0
		for _, in := range h.eng.planInputs() {
			if in.FabricID == 1 && in.RepoDir == "moved" {
				n++
			}
		}
		return n
	}
	waitFor(t, "the webhook's reconcile", func() bool { return plans() == 1 })
	h.c.EnqueuePush(Push{URLs: []string{"https://github.com/o/b"}, Branch: "main", Complete: true, Paths: []string{"moved/raw/a.yaml"}, Reason: "github push"})
	waitFor(t, "a new listing", func() bool { return lists() == 2 })
	waitFor(t, "the push's reconcile of the moved fabric", func() bool { return plans() == 2 })
}

func TestTouches(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		paths []string
		dir   string
		want  bool
	}{
		{"raw file", []string{"fab/raw/a.yaml"}, "fab", true},
		{"raw in a subfolder, any extension", []string{"fab/raw/x/y.txt"}, "fab", true},
		{"flat yaml", []string{"fab/vpc.YAML"}, "fab", true},
		{"flat yml", []string{"fab/vpc.yml"}, "fab", true},
		{"flat non-yaml", []string{"fab/notes.md"}, "fab", false},
		{"managed", []string{"fab/managed/vpcs/a.yaml"}, "fab", false},
		{"another fabric with a common prefix", []string{"fab2/raw/a.yaml"}, "fab", false},
		{"root fabric, root yaml", []string{"a.yaml"}, "", true},
		{"root fabric, raw", []string{"raw/a.yaml"}, "", true},
		{"root fabric, another directory", []string{"x/raw/a.yaml"}, "", false},
		{"none", nil, "fab", false},
	} {
		if got := touches(tc.paths, tc.dir); got != tc.want {
			t.Errorf("%s: touches(%v, %q) = %v, want %v", tc.name, tc.paths, tc.dir, got, tc.want)
		}
	}
}

func TestRepoKeyMatchesEveryFormOfOneRepository(t *testing.T) {
	t.Parallel()
	c, err := New(Options{NetBox: newFakeNetBox(), Repository: newFakeRepo()})
	if err != nil {
		t.Fatal(err)
	}
	want := c.repoKey("https://github.com/Owner/Repo")
	if want == "" {
		t.Fatal("no key")
	}
	for _, u := range []string{
		"https://github.com/owner/repo.git", "https://GitHub.com/OWNER/repo/", "http://github.com/owner/repo",
		"git@github.com:Owner/Repo.git", "ssh://git@github.com:22/owner/repo.git", "https://token@github.com/owner/repo",
		"https://www.github.com/owner/repo", "https://github.com:443/owner/repo",
	} {
		if got := c.repoKey(u); got != want {
			t.Errorf("repoKey(%q) = %q, want %q", u, got, want)
		}
	}
	for _, u := range []string{"https://github.com/owner/other", "https://gitlab.com/owner/repo", "not a url"} {
		if got := c.repoKey(u); got == want {
			t.Errorf("repoKey(%q) matches", u)
		}
	}
}

func TestIsOwnCommit(t *testing.T) {
	t.Parallel()
	own := commitMessage([]messagePart{{id: 7, name: "f", dir: "fab", plan: DirPlan{Summary: "Ingest 1 file"}, requests: []string{"r-1"}}})
	for _, tc := range []struct {
		msg  string
		want bool
	}{
		{own, true},
		{own + "\n", true},
		{"Ingest\r\n\r\nNetBox-Object: netbox_hedgehog.hedgehogfabric:12\r\n", true},
		{"Add a VPC", false},
		{"Add a VPC\n\nNetBox-Object: netbox_hedgehog.hedgehogfabric:12\n\nSigned-off-by: me", false},
		{"Add a VPC mentioning NetBox-Object: netbox_hedgehog.hedgehogfabric:12 in passing", false},
		{"x\n\nNetBox-Object: netbox_hedgehog.hedgehogfabric:", false},
		{"x\n\nNetBox-Object: netbox_hedgehog.hedgehogfabric:12abc", false},
	} {
		if got := IsOwnCommit(tc.msg); got != tc.want {
			t.Errorf("IsOwnCommit(%q) = %v, want %v", tc.msg, got, tc.want)
		}
	}
}

// A rebuild lists the repositories once when two or more are unknown,
// and reads one on its own: after a fabric's webhook it lists the fabrics
// but reads no repository again; a repository's webhook makes that one be
// read again; a resync pass lists them all again. A fabric whose repository
// is gone is left out, not a failure; when the list fails, the repositories
// are read one by one.
func TestPushIndexReadsRepositoriesOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	h := pushHarness(t)
	h.nb.addFabric(4, 9, "gone", status.Initialized) // repository 9 does not exist
	h.run(t)
	counts := func() (lists, repoLists, gets int) {
		h.nb.mu.Lock()
		defer h.nb.mu.Unlock()
		return h.nb.lists, h.nb.repoLists, h.nb.repoGets
	}
	// step pushes and checks the build's fabric lists, repository lists
	// and single repository reads in all.
	step := func(what string, wantLists, wantRepoLists, wantGets int) {
		t.Helper()
		h.c.EnqueuePush(Push{URLs: []string{"https://github.com/o/b"}, Branch: "main", Complete: true, Paths: []string{"README.md"}, Reason: "github push"})
		waitFor(t, what, func() bool { l, rl, g := counts(); return l == wantLists && rl >= wantRepoLists && g >= wantGets })
		time.Sleep(20 * time.Millisecond)
		if _, rl, g := counts(); rl != wantRepoLists || g != wantGets {
			t.Errorf("%s: %d repository lists and %d single reads in all, want %d and %d", what, rl, g, wantRepoLists, wantGets)
		}
	}
	step("the first build (1, 2 and the missing 9: one list)", 1, 1, 0)
	h.c.pushes.invalidate() // as EnqueueRequest does
	step("after a fabric's webhook (only the missing 9, on its own)", 2, 1, 1)
	h.c.pushes.forgetRepository(1) // as EnqueueRepository does
	step("after repository 1's webhook (1 and 9: one list)", 3, 2, 1)
	h.nb.mu.Lock()
	h.nb.repoListErr = []error{errBoom}
	h.nb.mu.Unlock()
	h.c.pushes.forgetAll() // as a resync pass does
	step("after a resync pass, the list failing (all three on their own)", 4, 3, 4)
}

// A push that arrives while NetBox cannot be read waits and is matched
// once NetBox answers again.
func TestPushWaitsForNetBox(t *testing.T) {
	t.Parallel()
	h := pushHarness(t)
	h.nb.listErr = []error{errBoom, errBoom}
	h.run(t)
	h.c.EnqueuePush(Push{URLs: []string{"https://github.com/o/b"}, Branch: "main", Complete: true, Paths: []string{"x.yaml"}, Reason: "github push"})
	h.outcomeFor(t, 3, anyOutcome)
	h.nb.mu.Lock()
	defer h.nb.mu.Unlock()
	if h.nb.lists != 3 {
		t.Errorf("%d listings, want 3 (two failed)", h.nb.lists)
	}
}
