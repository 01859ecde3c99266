package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
)

// TestRepositoryChangeReconcilesItsFabrics: two initialized fabrics share a
// repository; the user points the repository's push_branch at another
// branch. The repository's webhook (the rule `netbox setup` made covers git
// repositories) reconciles both fabrics onto the new branch in one commit,
// long before the resync (every 10 minutes) could have.
func TestRepositoryChangeReconcilesItsFabrics(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{}, "--resync-interval=10m")
	dirs := []string{"fabrics/a", "fabrics/b"}
	repoID, bare, err := s.env.NewRepo("fabric-config", rawSeed(t, dirs...))
	if err != nil {
		t.Fatal(err)
	}
	fa := s.createFabric(t, "fabric-a", repoID, dirs[0])
	fb := s.createFabric(t, "fabric-b", repoID, dirs[1])
	s.waitStatus(t, fa.ID, status.Initialized, 30*time.Second)
	s.waitStatus(t, fb.ID, status.Initialized, 30*time.Second)
	mainCommits := s.commits(t, bare)

	// A new branch with one commit of its own (not a copy of main).
	if _, err := s.env.GitHub.SeedFiles(harness.Owner, "fabric-config", "gitops",
		map[string][]byte{"README.md": []byte("# gitops branch\n")}, "Start the gitops branch"); err != nil {
		t.Fatal(err)
	}
	onBranch := func() int {
		n, err := strconv.Atoi(s.git(t, bare, "rev-list", "--count", "gitops"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	start := time.Now()
	if _, err := s.env.NetBox.UpdateRepository(repoID, map[string]any{"push_branch": "gitops"}); err != nil {
		t.Fatal(err)
	}
	head := ""
	eventually(t, 30*time.Second, "both fabrics report a commit on the gitops branch", func() bool {
		if onBranch() < 2 {
			return false
		}
		head = strings.TrimSpace(s.git(t, bare, "rev-parse", "gitops"))
		for _, id := range []int64{fa.ID, fb.ID} {
			f, _ := s.env.NetBox.Fabric(id)
			if !strings.HasSuffix(fmt.Sprint(f.CustomFields[status.FieldCommitURL]), "/commit/"+head) {
				return false
			}
		}
		return true
	})
	took := time.Since(start)
	t.Logf("repository change to both fabrics committed in %s", took)
	if took > time.Minute {
		t.Errorf("took %s: not the webhook", took)
	}

	// One commit on the branch holds both fabrics' directories.
	if n := onBranch(); n != 2 {
		t.Errorf("%d commits on gitops, want the seed and one", n)
	}
	files := s.git(t, bare, "show", "--name-only", "--format=", "gitops")
	for _, dir := range dirs {
		if !strings.Contains(files, dir+"/README.md") {
			t.Errorf("the commit does not lay out %s:\n%s", dir, files)
		}
	}
	msg := s.git(t, bare, "log", "-1", "--format=%B", "gitops")
	for _, id := range []int64{fa.ID, fb.ID} {
		if !strings.Contains(msg, fmt.Sprintf("NetBox-Object: netbox_hedgehog.hedgehogfabric:%d", id)) {
			t.Errorf("the commit message does not name fabric %d:\n%s", id, msg)
		}
	}
	if n := s.commits(t, bare); n != mainCommits {
		t.Errorf("main went from %d to %d commits, want untouched", mainCommits, n)
	}
	for _, id := range []int64{fa.ID, fb.ID} {
		s.waitStatus(t, id, status.Initialized, 5*time.Second)
	}
	// Nothing more is written while nothing changes.
	time.Sleep(500 * time.Millisecond)
	if n := onBranch(); n != 2 {
		t.Errorf("%d commits on gitops after a pause, want 2", n)
	}
	s.noSecrets(t, bare)
}
