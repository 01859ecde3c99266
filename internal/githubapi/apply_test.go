package githubapi_test

import (
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// The user's acceptance case: three files in raw/, one reconcile, one
// commit laying out the FGD; a second reconcile changes nothing.
func TestApplyAcceptance(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{}, nil)
	seed := e.seedAcceptance(t)
	e.sim.ResetStats()

	res, err := e.apply(t, gitport.Target{})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !res.Changed || res.Attempts != 1 {
		t.Errorf("Changed=%v Attempts=%d, want true 1", res.Changed, res.Attempts)
	}
	st := e.sim.Stats()
	t.Logf("first run: %d requests %v, %d commits", st.Total(), st.Requests, st.Commits)
	blobs := st.Requests["GET /repos/{owner}/{repo}/git/blobs/{file_sha}"]
	if blobs != 3 {
		t.Errorf("blob reads = %d, want 3 (one per ingested file)", blobs)
	}
	if st.Total() > 6+blobs {
		t.Errorf("requests = %d, want at most 6 + %d blob reads", st.Total(), blobs)
	}
	if st.Commits != 1 || st.ForceUpdates != 0 || st.EmptyCommits != 0 {
		t.Errorf("commits=%d force=%d empty=%d, want 1 0 0", st.Commits, st.ForceUpdates, st.EmptyCommits)
	}

	log := testkit.GitLog(t, e.bare, "main")
	if len(log) != 2 {
		t.Fatalf("history has %d commits, want seed + 1:\n%s", len(log), strings.Join(log, "\n"))
	}
	if !strings.HasPrefix(log[0], res.Head+" hnp-gitops <hnp-gitops@example.com>|hnp-gitops|") || !strings.HasSuffix(log[0], "|"+seed) {
		t.Errorf("head commit = %q, want %s by hnp-gitops on top of %s", log[0], res.Head, seed)
	}
	if body := testkit.Git(t, ".", "--git-dir", e.bare, "log", "-1", "--format=%B", "main"); (!strings.HasPrefix(body, "Ingest") && !strings.HasPrefix(body, "Initialize")) ||
		!strings.Contains(body, "\n\nNetBox-Object: netbox_hedgehog.hedgehogfabric:1") {
		t.Errorf("commit message = %q, want the plan's message", body)
	}
	testkit.Git(t, ".", "--git-dir", e.bare, "fsck", "--strict")
	if want := "https://github.com/" + owner + "/" + name + "/commit/" + res.Head; res.CommitURL != want {
		t.Errorf("CommitURL = %q, want %q", res.CommitURL, want)
	}

	files := testkit.Clone(t, e.bare, "main")
	testkit.CheckAcceptanceLayout(t, files, fgdDir)

	// Second run: nothing to do, reads only, no commit.
	e.sim.ResetStats()
	res2, err := e.apply(t, gitport.Target{})
	if err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	st = e.sim.Stats()
	t.Logf("second run: %d requests %v", st.Total(), st.Requests)
	if res2.Changed || res2.Head != res.Head {
		t.Errorf("second run Changed=%v Head=%s, want false %s", res2.Changed, res2.Head, res.Head)
	}
	if st.Total() > 3 || st.Reads() != st.Total() || st.Writes != 0 || st.Commits != 0 {
		t.Errorf("second run: %d requests (%d reads, %d writes), %d commits; want at most 3, all reads, no commit",
			st.Total(), st.Reads(), st.Writes, st.Commits)
	}
}
