package soak

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// memoryTargetKB is the targets.md memory target for the 500-fabric burst.
const memoryTargetKB = 64 << 10

// TestBurst: fabrics over five repositories created at once, in parallel
// through the NetBox API, with the service's default batch window. Every
// fabric must end initialized with far fewer commits than fabrics, never
// two writers on one branch; the peak RSS (VmHWM) of the service process
// is reported, and held against 64 MiB in the long form.
func TestBurst(t *testing.T) {
	n := burstFabrics()
	ctx := context.Background()
	env, err := harness.Start(harness.Options{Dir: t.TempDir(), GitHub: githubsim.Options{RateLimit: 1 << 30, Wrap: testkit.Contract(t).Wrap}})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	repoIDs := make([]int64, soakRepos)
	bares := make([]string, soakRepos)
	for r := range soakRepos {
		if repoIDs[r], bares[r], err = env.NewRepo(fmt.Sprintf("burst-%d", r+1), nil); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	if _, err := env.Setup(ctx, "http://127.0.0.1:"+port); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	svc, err := harness.StartProcess(sctx, binPath, env.ServeArgs("--listen=127.0.0.1:"+port, "--batch-window=250ms", "--log-level=info"))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.WaitReady(sctx); err != nil {
		svc.Kill()
		t.Fatal(err)
	}
	idleKB, _ := svc.ProcStatusKB("VmRSS")

	ids := make([]int64, n)
	errs := make([]error, n)
	t0 := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			f, err := env.NetBox.CreateFabric(netboxsim.Fabric{
				Name: fmt.Sprintf("burst-fabric-%03d", i+1), GitRepository: repoIDs[i%soakRepos],
				GitOpsDirectory: fmt.Sprintf("/fabrics/burst-%03d/", i+1),
			})
			ids[i], errs[i] = f.ID, err
		})
	}
	wg.Wait()
	created := time.Since(t0)
	for _, err := range errs {
		if err != nil {
			svc.Kill()
			t.Fatal(err)
		}
	}
	deadline := 3 * time.Minute
	pending := waitAll(env, ids, deadline)
	took := time.Since(t0)
	hwmKB, hwmErr := svc.ProcStatusKB("VmHWM")
	if code := svc.Stop(30 * time.Second); code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}
	for _, f := range pending {
		t.Errorf("fabric %d %s: status %q after %s", f.ID, f.Name, harness.FabricStatus(f), deadline)
	}

	gh := env.GitHub.Stats()
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "repository\tfabrics\tcommits\tone commit per fabric\t")
	total := 0
	for r := range soakRepos {
		c := serviceCommits(t, bares[r], "main")
		total += c
		per := n / soakRepos
		fmt.Fprintf(tw, "burst-%d\t%d\t%d\t%d\t\n", r+1, per, c, per)
		// "A handful per repository": a commit per batch window at most,
		// which is far below one per fabric.
		if c > per/4 {
			t.Errorf("burst-%d: %d commits for %d fabrics, want batched (at most %d)", r+1, c, per, per/4)
		}
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t\n", n, total, n)
	tw.Flush()
	if gh.MaxWriters > 1 {
		t.Errorf("max_concurrent_writers_per_branch = %d, want <= 1", gh.MaxWriters)
	}
	if gh.ForceUpdates != 0 || gh.EmptyCommits != 0 {
		t.Errorf("force_updates = %d, empty_commits = %d, want 0 and 0", gh.ForceUpdates, gh.EmptyCommits)
	}
	fmt.Fprintf(&table, "\n%d fabrics created in parallel in %s; all initialized %s after the first create (deadline %s)\n",
		n, created.Round(time.Millisecond), took.Round(10*time.Millisecond), deadline)
	fmt.Fprintf(&table, "GitHub: %d requests (%d reads, %d writes), %d commits, max writers per branch %d\n",
		gh.Total(), gh.Reads(), gh.Writes, gh.Commits, gh.MaxWriters)
	switch {
	case hwmErr != nil:
		t.Errorf("peak RSS: %v", hwmErr)
	default:
		fmt.Fprintf(&table, "service RSS: %.1f MiB ready and idle, peak (VmHWM) %.1f MiB; target under 64 MiB for 500 fabrics\n",
			float64(idleKB)/1024, float64(hwmKB)/1024)
		if *flagLong && hwmKB >= memoryTargetKB {
			t.Errorf("peak RSS %.1f MiB, target under 64 MiB", float64(hwmKB)/1024)
		}
	}
	t.Logf("burst:\n%s", table.String())
	if scanned, leaks := leakScan(t, env, svc.LogLines(), bares); len(leaks) > 0 {
		t.Errorf("secrets found (%s): %v", formatCounts(scanned), leaks)
	}
}
