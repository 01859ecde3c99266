package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestConcurrentWriter: someone pushes to the branch between the service's
// read and its ref update. GitHub refuses the non-fast-forward update, the
// service plans again on the new head, and lands one commit on top of the
// other author's, which is kept.
func TestConcurrentWriter(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	repoID, bare := s.newRepo(t)
	s.env.GitHub.SetFaults(githubsim.Faults{ConcurrentWriter: 2})
	f := s.createFabric(t, "fabric-1", repoID, fgdPath)
	got := s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	st := s.env.GitHub.Stats()
	if st.OtherCommits != 2 {
		t.Fatalf("concurrent writer commits: %d, want 2 (the fault did not fire)", st.OtherCommits)
	}
	if st.ForceUpdates != 0 {
		t.Errorf("force updates: %d, want 0", st.ForceUpdates)
	}
	if n := s.commits(t, bare); n != 4 {
		t.Errorf("commits on main: %d, want 4 (seed, two of the other writer, one of the service)", n)
	}
	authors := s.git(t, bare, "log", "--format=%an", "main")
	if strings.Count(authors, "hnp-gitops") != 1 {
		t.Errorf("authors on main, newest first:\n%s\nwant exactly one hnp-gitops commit", authors)
	}
	if !strings.HasPrefix(authors, "hnp-gitops") {
		t.Errorf("the service's commit is not the head; authors newest first:\n%s", authors)
	}
	head := s.git(t, bare, "rev-parse", "main")
	if u := fmt.Sprint(got.CustomFields[status.FieldCommitURL]); !strings.HasSuffix(u, "/commit/"+head) {
		t.Errorf("gitops_commit_url %s, want the head %s", u, head)
	}
}

// TestTimeoutsRetried: a GitHub request and a NetBox fabric read that hang
// are given up after the configured timeouts and retried.
func TestTimeoutsRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		github githubsim.Faults
		netbox netboxsim.Faults
	}{
		{name: "github hang", github: githubsim.Faults{Timeouts: 1}},
		{name: "netbox fabric read hang", netbox: netboxsim.Faults{HangMax: 20 * time.Second,
			Routes: map[netboxsim.Route]netboxsim.RouteFault{netboxsim.RouteFabricGet: {Timeouts: 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStack(t, harness.Options{}, slices.Concat(fastArgs, []string{"--github-timeout=1s", "--netbox-timeout=1s"})...)
			repoID, bare := s.newRepo(t)
			s.env.GitHub.SetFaults(tt.github)
			s.env.NetBox.SetFaults(tt.netbox)
			start := time.Now()
			f := s.createFabric(t, "fabric-1", repoID, fgdPath)
			s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
			took := time.Since(start)
			fired := s.env.GitHub.Stats().FaultsApplied["timeout"] + s.env.NetBox.Stats().Faults["fabric-get timeout"]
			if fired == 0 {
				t.Fatalf("no hang fired: github %v, netbox %v", s.env.GitHub.Stats().FaultsApplied, s.env.NetBox.Stats().Faults)
			}
			if took < time.Second {
				t.Errorf("initialized %s after the create: faster than the 1s timeout the hang needs", took)
			}
			if n := s.commits(t, bare); n != 2 {
				t.Errorf("commits on main: %d, want 2", n)
			}
			t.Logf("initialized %s after the create", took.Round(time.Millisecond))
		})
	}
}

// TestPullRequestMode: with --pull-request-branch, a protected branch is
// no obstacle: the service commits to its own branch, opens one pull
// request, and links it from the fabric.
func TestPullRequestMode(t *testing.T) {
	t.Parallel()
	const prBranch = "hnp-gitops/updates"
	s := startStack(t, harness.Options{}, "--pull-request-branch="+prBranch)
	repoID, bare := s.newRepo(t)
	if err := s.env.GitHub.Protect(harness.Owner, "fabric-config", "main"); err != nil {
		t.Fatal(err)
	}
	mainBefore := s.git(t, bare, "rev-parse", "main")
	f := s.createFabric(t, "fabric-1", repoID, fgdPath)
	got := s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	if after := s.git(t, bare, "rev-parse", "main"); after != mainBefore {
		t.Errorf("main moved to %s: the service pushed to the protected branch", after)
	}
	if n := s.git(t, bare, "rev-list", "--count", "main.."+prBranch); n != "1" {
		t.Errorf("commits on %s ahead of main: %s, want 1", prBranch, n)
	}
	if st := s.env.GitHub.Stats(); st.PullRequests != 1 {
		t.Errorf("pull requests opened: %d, want 1", st.PullRequests)
	}
	if u := fmt.Sprint(got.CustomFields[status.FieldCommitURL]); !strings.Contains(u, "/pull/") {
		t.Errorf("gitops_commit_url %s, want the pull request", u)
	}
	stat := s.git(t, bare, "show", "--stat=400", "--format=", prBranch)
	if !strings.Contains(stat, fgdPath+"/managed/kustomization.yaml") {
		t.Errorf("the pull request's commit does not lay out the FGD:\n%s", stat)
	}
}

// TestChangeWhileInFlight: a fabric changed in NetBox while its reconcile
// is in flight runs exactly once more afterwards (and that run finds
// nothing to change).
func TestChangeWhileInFlight(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	repoID, bare := s.newRepo(t)
	s.env.GitHub.SetFaults(githubsim.Faults{LatencyMS: 100})
	f := s.createFabric(t, "fabric-1", repoID, fgdPath)
	s.waitStatus(t, f.ID, status.Initializing, 15*time.Second)
	for i := range 3 {
		if _, err := s.env.NetBox.UpdateFabric(f.ID, map[string]any{"description": fmt.Sprintf("edit %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if st := harness.FabricStatus(mustFabric(t, s, f.ID)); st != status.Initializing {
		t.Fatalf("status %q after the edits: the reconcile was no longer in flight", st)
	}
	s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	s.env.GitHub.SetFaults(githubsim.Faults{})
	eventually(t, 10*time.Second, "the fabric did not run once more", func() bool {
		return metric(t, s.svc, `hnp_gitops_reconciles_total{result="unchanged"}`) >= 1
	})
	time.Sleep(time.Second)
	committed := metric(t, s.svc, `hnp_gitops_reconciles_total{result="committed"}`)
	unchanged := metric(t, s.svc, `hnp_gitops_reconciles_total{result="unchanged"}`)
	if committed != 1 || unchanged != 1 {
		t.Errorf("reconciles: committed %v, unchanged %v; want 1 and 1 (three edits in flight run once more)", committed, unchanged)
	}
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2", n)
	}
}
