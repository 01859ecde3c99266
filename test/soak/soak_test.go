package soak

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

const soakRepos = 5

// heavyGitHub are the GitHub faults while fabrics are created and the
// service is killed: 5xx, hangs, 403/429 with retry-after, the secondary
// write limit and a concurrent writer moving the branches.
func heavyGitHub(long bool) githubsim.Faults {
	f := githubsim.Faults{
		ErrorRate: 0.05, TimeoutRate: 0.01, RateLimited: 3, TooMany: 3,
		RetryAfterSeconds: 1, SecondaryWritesPerMinute: 15, ConcurrentWriter: 10,
	}
	if long {
		f.RateLimited, f.TooMany, f.ConcurrentWriter, f.SecondaryWritesPerMinute = 10, 10, 40, 60
	}
	return f
}

// heavyNetBox are the NetBox faults meanwhile: 5xx and hangs on reads and
// status writes, dropped webhook deliveries.
func heavyNetBox() netboxsim.Faults {
	return netboxsim.Faults{
		Seed:    7,
		HangMax: 5 * time.Second,
		Routes: map[netboxsim.Route]netboxsim.RouteFault{
			netboxsim.RouteFabricGet:   {ErrorRate: 0.05, TimeoutRate: 0.01},
			netboxsim.RouteFabricList:  {ErrorRate: 0.05, Timeouts: 1},
			netboxsim.RouteFabricWrite: {ErrorRate: 0.05, Timeouts: 2, ErrorStatus: 502},
			netboxsim.RouteRepoGet:     {ErrorRate: 0.05, Timeouts: 1},
		},
		DropWebhookRate: 0.15,
	}
}

// TestSoak: fabrics over five repositories, faults in both emulators, the
// service SIGKILLed and restarted twice; then every fabric must be
// initialized and every source document be found exactly once.
func TestSoak(t *testing.T) {
	n := fabricsWanted()
	ctx := context.Background()
	dir := t.TempDir()
	env, err := harness.Start(harness.Options{Dir: dir, GitHub: githubsim.Options{RateLimit: 1 << 30, Wrap: testkit.Contract(t).Wrap}})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()

	variants := []string{variantRaw, variantFlat, variantEmpty}
	plans := make([]*fabricPlan, n)
	seeds := make([]map[string][]byte, soakRepos)
	for r := range seeds {
		seeds[r] = map[string][]byte{"README.md": []byte("# soak repository\n")}
	}
	for i := range plans {
		plans[i] = planFabric(i+1, soakRepos, variants[i%len(variants)])
		for _, s := range plans[i].Sources {
			seeds[plans[i].Repo][path.Join(plans[i].Dir, s.Rel)] = s.Content
		}
	}
	repoIDs := make([]int64, soakRepos)
	bares := make([]string, soakRepos)
	for r := range soakRepos {
		if repoIDs[r], bares[r], err = env.NewRepo(fmt.Sprintf("soak-%d", r+1), seeds[r]); err != nil {
			t.Fatal(err)
		}
	}

	port := freePort(t)
	if _, err := env.Setup(ctx, "http://127.0.0.1:"+port); err != nil {
		t.Fatal(err)
	}
	args := env.ServeArgs("--listen=127.0.0.1:"+port, "--resync-interval=2s", "--full-resync-every=3",
		"--github-timeout=3s", "--netbox-timeout=3s", "--retry-max-delay=3s")
	var logs []string
	var svc *harness.Service
	start := func() {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if svc, err = harness.StartProcess(sctx, binPath, args); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now()
	start()
	env.GitHub.SetFaults(heavyGitHub(*flagLong))
	env.NetBox.SetFaults(heavyNetBox())

	ids := make([]int64, n)
	for i := range plans {
		plans[i].ID = -1
	}
	initialized := func(wave []*fabricPlan) int {
		k := 0
		for _, f := range wave {
			if fb, ok := env.NetBox.Fabric(f.ID); ok && harness.FabricStatus(fb) == status.Initialized {
				k++
			}
		}
		return k
	}
	// Three waves of fabrics. After each of the first two the service is
	// SIGKILLed as soon as the emulator has seen a new commit object, so
	// that other reconciles of the wave are in flight; after the third,
	// the heavy faults stay until the wave is half done.
	waves := [][]*fabricPlan{plans[:n/3], plans[n/3 : 2*n/3], plans[2*n/3:]}
	kills := 0
	for w, wave := range waves {
		before := env.GitHub.Stats().Commits
		for _, f := range wave {
			got, err := env.NetBox.CreateFabric(netboxsim.Fabric{
				Name: f.Name, GitRepository: repoIDs[f.Repo], GitOpsDirectory: "/" + f.Dir + "/",
			})
			if err != nil {
				t.Fatal(err)
			}
			f.ID = got.ID
		}
		until := time.Now().Add(60 * time.Second)
		for time.Now().Before(until) {
			if w < 2 && env.GitHub.Stats().Commits > before || w == 2 && 2*initialized(wave) >= len(wave) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if w < 2 {
			logs = append(logs, svc.LogLines()...)
			svc.Kill()
			kills++
			t.Logf("wave %d: SIGKILL with %d of %d fabrics of the wave initialized", w+1, initialized(wave), len(wave))
			start()
		}
	}
	heavy := env.GitHub.Stats()
	// The last stretch with lighter faults: 5xx only, no hangs.
	env.GitHub.SetFaults(githubsim.Faults{ErrorRate: 0.02})
	env.NetBox.SetFaults(netboxsim.Faults{Seed: 8, Routes: map[netboxsim.Route]netboxsim.RouteFault{
		netboxsim.RouteAll: {ErrorRate: 0.02},
	}, DropWebhookRate: 0.05})

	for i, f := range plans {
		ids[i] = f.ID
	}
	deadline := 5 * time.Minute
	if *flagLong {
		deadline = 20 * time.Minute
	}
	pending := waitAll(env, ids, deadline)
	converged := time.Since(t0)
	env.GitHub.SetFaults(githubsim.Faults{})
	env.NetBox.SetFaults(netboxsim.Faults{})
	if code := svc.Stop(30 * time.Second); code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}
	logs = append(logs, svc.LogLines()...)
	for _, f := range pending {
		t.Errorf("fabric %d %s: status %q, error %q after %s", f.ID, f.Name, harness.FabricStatus(f), f.CustomFields[status.FieldError], deadline)
	}

	// What a git clone of each repository shows.
	gh := env.GitHub.Stats()
	nb := env.NetBox.Stats()
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "repository\tfabrics\tinitialized\tsource docs\tmanaged\tunmanaged\tkept in raw/\tleft in root\tproblems\tservice commits\tconcurrent commits reachable\t")
	var totals [9]int
	for r := range soakRepos {
		clone, err := harness.Clone(ctx, bares[r], "main", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		var row [9]int
		for _, f := range plans {
			if f.Repo != r {
				continue
			}
			row[0]++
			if fb, ok := env.NetBox.Fabric(f.ID); ok && harness.FabricStatus(fb) == status.Initialized {
				row[1]++
			}
			c := checkFabric(clone, f)
			row[2] += f.docCount()
			row[3] += c.Managed
			row[4] += c.Unmanaged
			row[5] += c.Kept
			row[6] += c.LeftAlone
			row[7] += len(c.Problems)
			for _, p := range c.Problems {
				t.Errorf("%s (%s): %s", f.Name, f.Variant, p)
			}
			if got := c.Managed + c.Unmanaged + c.Kept + c.LeftAlone; got != f.docCount() && len(c.Problems) == 0 {
				t.Errorf("%s: %d of %d source documents accounted for", f.Name, got, f.docCount())
			}
		}
		row[8] = serviceCommits(t, bares[r], "main")
		all, reach := concurrentCommits(t, bares[r], "main")
		if reach != all {
			t.Errorf("%s: %d of the concurrent writer's %d commits reachable from main", path.Base(bares[r]), reach, all)
		}
		fmt.Fprintf(tw, "soak-%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d/%d\t\n", r+1, row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], reach, all)
		for i := range row {
			totals[i] += row[i]
		}
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], totals[6], totals[7], totals[8], gh.OtherCommits)
	tw.Flush()

	scanned, leaks := leakScan(t, env, logs, bares)
	for _, l := range leaks {
		t.Errorf("secret found: %s", l)
	}
	if gh.ForceUpdates != 0 {
		t.Errorf("force_updates = %d, want 0", gh.ForceUpdates)
	}
	if gh.EmptyCommits != 0 {
		t.Errorf("empty_commits = %d, want 0", gh.EmptyCommits)
	}
	// max_concurrent_writers_per_branch is reported, not asserted, here:
	// the emulator counts a write sequence (POST trees ... PATCH ref) as
	// open for its WriterWindow, and the injected 5xx, hangs and SIGKILLs
	// abandon sequences midway, so under faults it overcounts. TestBurst
	// asserts it without faults.
	// The faults must really have fired, or the soak proves nothing.
	for _, k := range []string{"5xx", "403_retry_after", "429_retry_after", "403_secondary", "concurrent_writer"} {
		if gh.FaultsApplied[k] == 0 {
			t.Errorf("GitHub fault %s never fired", k)
		}
	}
	for _, k := range []string{"webhook drop", "fabric-write timeout"} {
		if nb.Faults[k] == 0 {
			t.Errorf("NetBox fault %q never fired", k)
		}
	}
	if kills != 2 {
		t.Errorf("the service was killed %d times, want 2", kills)
	}
	fmt.Fprintf(&table, "\nfabrics %d over %d repositories; all initialized after %s (deadline %s); service SIGKILLed %d times\n",
		n, soakRepos, converged.Round(100*time.Millisecond), deadline, kills)
	fmt.Fprintf(&table, "GitHub: %d requests (%d reads, %d writes), %d commits, %d ref updates, force_updates %d, empty_commits %d, max writers per branch %d (approximate under faults), concurrent-writer commits %d\n",
		gh.Total(), gh.Reads(), gh.Writes, gh.Commits, gh.RefUpdates, gh.ForceUpdates, gh.EmptyCommits, gh.MaxWriters, gh.OtherCommits)
	fmt.Fprintf(&table, "GitHub faults injected: %s (during the heavy phase: %s)\n", formatCounts(gh.FaultsApplied), formatCounts(heavy.FaultsApplied))
	fmt.Fprintf(&table, "NetBox: %d requests, faults injected: %s; webhook deliveries ok %d, failed %d, dropped %d\n",
		sum(nb.Requests), formatCounts(nb.Faults), nb.DeliveriesOK, nb.DeliveriesFailed, nb.DeliveriesDropped)
	fmt.Fprintf(&table, "secret scan: %s; found %d\n", formatCounts(scanned), len(leaks))
	t.Logf("soak:\n%s", table.String())
	if t.Failed() {
		t.Logf("last service log lines:\n%s", strings.Join(tail(logs, 80), "\n"))
	}
}

func formatCounts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}
