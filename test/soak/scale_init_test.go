package soak

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/test/harness"
)

// TestScaleFirstInitialization: the same fabrics and repositories as
// TestScale, but new: no status, nothing on GitHub but a README. The
// service's first resync pass queues them all and lays every FGD out: one
// commit per repository branch and 100 fabrics, two status writes per
// fabric (initializing, initialized), no NetBox read per fabric. It
// reports the wall time from the pass's start to the last batch, the
// requests by route and the peak RSS (held to initMemoryBoundKB).
func TestScaleFirstInitialization(t *testing.T) {
	n, repos := *flagScaleFabrics, *flagScaleRepos
	ctx := context.Background()
	env, port := startScaleEnv(t, n, repos)
	run, repoIDs := seedRepos(t, env, n, repos)
	created, err := env.NetBox.CreateFabricsDirect(scaleFabrics(run, repoIDs))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(created))
	for i, f := range created {
		ids[i] = f.ID
	}
	nb0, gh0 := env.NetBox.Stats(), env.GitHub.Stats()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	svc, err := harness.StartProcess(sctx, binPath, env.ServeArgs("--listen=127.0.0.1:"+port,
		"--resync-interval=1h", "--batch-window=250ms", "--log-level=info"))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Kill()
	if err := svc.WaitReady(sctx); err != nil {
		t.Fatal(err)
	}
	first := waitPass(t, sctx, svc, 0)
	waitReconciled(t, sctx, svc, n)
	wall := lastReconcile(t, svc.LogLines()).Sub(first.Start)
	pending := waitAll(env, ids, time.Minute)
	nb1, gh1 := env.NetBox.Stats(), env.GitHub.Stats()
	hwmKB, hwmErr := svc.ProcStatusKB("VmHWM")
	if code := svc.Stop(30 * time.Second); code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}
	for _, f := range pending {
		t.Errorf("fabric %d %s: status %q", f.ID, f.Name, harness.FabricStatus(f))
	}
	nb, gh := diff(nb0.Requests, nb1.Requests), diff(gh0.Requests, gh1.Requests)
	commits := 0
	perBranch := (n + repos - 1) / repos
	for i, bare := range run.bares {
		c := serviceCommits(t, bare, "main")
		commits += c
		if want := (perBranch + 99) / 100; c != want {
			t.Errorf("%s: %d commits, want %d (one per 100 fabrics)", run.repos[i], c, want)
		}
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%d new fabrics over %d repositories: first pass queued %d, all initialized %s after the pass started\n",
		n, repos, first.Queued, wall.Round(time.Millisecond))
	fmt.Fprintf(&table, "NetBox requests: %s\nGitHub requests: %s\ncommits: %d\n", formatRoutes(nb), formatRoutes(gh), commits)
	fmt.Fprintf(&table, "service peak RSS (VmHWM) %.1f MiB (the 64 MiB goal is the full resync's; this run is bounded at %d MiB)\n", float64(hwmKB)/1024, initMemoryBoundKB>>10)
	t.Logf("first initialization:\n%s", table.String())

	if got := nb[routeFabricGet]; got != 0 {
		t.Errorf("%d NetBox GETs of one fabric, want 0 (the first pass lists them)", got)
	}
	if got := nb["PATCH /api/plugins/hedgehog/fabrics/{id}/"]; got != 2*n {
		t.Errorf("%d status writes, want 2 per fabric (%d)", got, 2*n)
	}
	switch {
	case hwmErr != nil:
		t.Errorf("peak RSS: %v", hwmErr)
	case hwmKB >= initMemoryBoundKB:
		t.Errorf("peak RSS %.1f MiB, over the first initialization's bound of %d MiB", float64(hwmKB)/1024, initMemoryBoundKB>>10)
	}
}

// initMemoryBoundKB bounds the first initialization of 10,000 fabrics. The
// issue's 64 MiB goal is for a full resync with nothing to change
// (TestScale holds it); a first initialization also holds up to four
// commits in flight and measured 59.9-63.5 MiB over six runs, so at 64 it
// would fail now and then on noise. 80 MiB still catches a regression.
const initMemoryBoundKB = 80 << 10
