package soak

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

var (
	flagScaleFabrics  = flag.Int("scale.fabrics", 1000, "fabrics of TestScale (make bench: 10000)")
	flagScaleRepos    = flag.Int("scale.repos", 10, "repositories of TestScale (make bench: 100)")
	flagScaleInterval = flag.Duration("scale.interval", 20*time.Second, "resync interval of TestScale: the full pass starts one interval after the first and must end before the next")
)

// The routes the scale goal is about.
const (
	routeTree       = "GET /repos/{owner}/{repo}/git/trees/{tree_sha}" // githubapi.Route's name
	routeFabricGet  = "GET /api/plugins/hedgehog/fabrics/{id}/"
	routeFabricList = "GET /api/plugins/hedgehog/fabrics/"
	routeRepoList   = "GET /api/plugins/hedgehog/git-repos-api/"
)

// scaleRun is one TestScale environment: NetBox and GitHub emulators holding
// fabrics whose FGDs are already in their target state.
type scaleRun struct {
	env     *harness.Env
	fabrics int
	repos   []string
	bares   []string
}

// TestScale: fabrics over repositories, their FGDs already laid out on
// GitHub (seeded straight into the emulators' stores), all initialized but
// one in a hundred, left in error. The service starts (its first resync
// pass is incremental: it queues and heals those in error, with a status
// write each and no commit), then one interval later makes a full pass, which must cost at
// most one tree read per repository branch, no write to GitHub or NetBox,
// and no per-fabric NetBox read; the service's peak RSS must stay under
// 64 MiB. The table of docs/benchmarks.md comes from its log
// (`make bench`, or -scale.fabrics=10000 -scale.repos=100).
func TestScale(t *testing.T) {
	n, repos := *flagScaleFabrics, *flagScaleRepos
	ctx := context.Background()
	env, port := startScaleEnv(t, n, repos)
	seedStart := time.Now()
	run := seedScale(t, env, n, repos)
	seeded := time.Since(seedStart)

	nb0, gh0 := env.NetBox.Stats(), env.GitHub.Stats()
	interval := *flagScaleInterval
	sctx, cancel := context.WithTimeout(ctx, 10*interval+2*time.Minute)
	defer cancel()
	svc, err := harness.StartProcess(sctx, binPath, env.ServeArgs("--listen=127.0.0.1:"+port,
		"--resync-interval="+interval.String(), "--full-resync-every=1", "--batch-window=250ms", "--log-level=info"))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Kill()
	if err := svc.WaitReady(sctx); err != nil {
		t.Fatal(err)
	}
	incr := waitPass(t, sctx, svc, 0)
	waitReconciled(t, sctx, svc, incr.Queued)
	incrWall := incr.Duration
	if incr.Queued > 0 {
		incrWall = lastReconcile(t, svc.LogLines()).Sub(incr.Start)
	}
	nb1, gh1 := env.NetBox.Stats(), env.GitHub.Stats()
	full := waitPass(t, sctx, svc, 1)
	if !full.Full {
		t.Fatalf("pass 1 is not a full resync: %+v", full)
	}
	waitReconciled(t, sctx, svc, incr.Queued+full.Queued)
	fullEnd := lastReconcile(t, svc.LogLines())
	nb2, gh2 := env.NetBox.Stats(), env.GitHub.Stats()
	hwmKB, hwmErr := svc.ProcStatusKB("VmHWM")
	rssKB, _ := svc.ProcStatusKB("VmRSS")
	if p := findPass(svc.LogLines(), 2); p != nil && p.Start.Before(fullEnd) {
		t.Errorf("pass 2 started before the full pass ended: raise -scale.interval (now %s)", interval)
	}
	if code := svc.Stop(30 * time.Second); code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}

	fullWall := fullEnd.Sub(full.Start)
	nbIncr, ghIncr := diff(nb0.Requests, nb1.Requests), diff(gh0.Requests, gh1.Requests)
	nbFull, ghFull := diff(nb1.Requests, nb2.Requests), diff(gh1.Requests, gh2.Requests)
	var table strings.Builder
	fmt.Fprintf(&table, "%d fabrics over %d repositories (one branch each), seeded in %s\n", n, repos, seeded.Round(time.Millisecond))
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "pass\tqueued\twall time\tNetBox requests\tGitHub requests\tcommits")
	fmt.Fprintf(tw, "incremental\t%d\t%s\t%s\t%s\t%d\n", incr.Queued, incrWall.Round(time.Millisecond),
		formatRoutes(nbIncr), formatRoutes(ghIncr), gh1.Commits-gh0.Commits)
	fmt.Fprintf(tw, "full\t%d\t%s\t%s\t%s\t%d\n", full.Queued, fullWall.Round(time.Millisecond),
		formatRoutes(nbFull), formatRoutes(ghFull), gh2.Commits-gh1.Commits)
	tw.Flush()
	fmt.Fprintf(&table, "service RSS after the full pass %.1f MiB, peak (VmHWM) %.1f MiB (target under 64 MiB)\n",
		float64(rssKB)/1024, float64(hwmKB)/1024)
	t.Logf("scale:\n%s", table.String())

	checkIncremental(t, run, incr.Queued, nbIncr, ghIncr, gh1.Writes-gh0.Writes)
	checkScaleGoal(t, run, full.Queued, nbFull, ghFull, gh2.Writes-gh1.Writes, gh2.Commits-gh1.Commits)
	switch {
	case hwmErr != nil:
		t.Errorf("peak RSS: %v", hwmErr)
	case hwmKB >= memoryTargetKB:
		t.Errorf("peak RSS %.1f MiB, target under 64 MiB", float64(hwmKB)/1024)
	}
}

// checkIncremental: the first pass heals the fabrics left in error with a
// status write each, reading each branch's tree at most once and writing
// nothing to GitHub.
func checkIncremental(t *testing.T, run *scaleRun, queued int, nb, gh map[string]int, writes int) {
	t.Helper()
	want := 0
	for i := range run.fabrics {
		if (i/len(run.repos))%100 == 99 {
			want++
		}
	}
	if queued != want {
		t.Errorf("incremental pass queued %d fabrics, want the %d in error", queued, want)
	}
	if got := gh[routeTree]; got == 0 || got > len(run.repos) {
		t.Errorf("incremental pass: %d tree reads (%s), want one per repository branch with a fabric in error, at most %d", got, routeTree, len(run.repos))
	}
	if writes != 0 {
		t.Errorf("incremental pass: %d GitHub writes, want none", writes)
	}
	if got := nb[routeFabricGet]; got != 0 {
		t.Errorf("incremental pass: %d NetBox GETs of one fabric, want 0", got)
	}
	if got := nb["PATCH /api/plugins/hedgehog/fabrics/{id}/"]; got != queued {
		t.Errorf("incremental pass: %d status writes, want one per healed fabric (%d)", got, queued)
	}
}

// checkScaleGoal holds the full pass to the goal of issue 15.
func checkScaleGoal(t *testing.T, run *scaleRun, queued int, nb, gh map[string]int, writes, commits int) {
	t.Helper()
	if queued != run.fabrics {
		t.Errorf("full pass queued %d fabrics, want %d", queued, run.fabrics)
	}
	// One Apply, one tree read, per branch and MaxBatch (100) fabrics: the
	// count is exact, so a renamed route cannot pass for no reads.
	perBranch := (run.fabrics + len(run.repos) - 1) / len(run.repos)
	if got, want := gh[routeTree], len(run.repos)*((perBranch+99)/100); got != want {
		t.Errorf("full pass: %d tree reads (%s), want %d: one per repository branch and 100 fabrics", got, routeTree, want)
	}
	if writes != 0 || commits != 0 {
		t.Errorf("full pass: %d GitHub writes, %d commits, want none", writes, commits)
	}
	// Exactly the two lists: no GET per fabric or repository, no write.
	want := map[string]int{routeFabricList: (run.fabrics + 999) / 1000, routeRepoList: 1}
	if diff := cmp.Diff(want, nb); diff != "" {
		t.Errorf("full pass: NetBox requests (-want +got), want pages of 1000 and nothing else:\n%s", diff)
	}
	for i, bare := range run.bares {
		if c := serviceCommits(t, bare, "main"); c != 0 {
			t.Errorf("%s: %d service commits, want 0", run.repos[i], c)
		}
	}
}

// seedScale creates the repositories through the API, then the fabrics
// (initialized, as after an earlier run) straight into NetBox's store, and
// lays out each repository's FGDs with the real engine in one seed commit,
// so that a full resync has nothing to change.
func seedScale(t *testing.T, env *harness.Env, n, repos int) *scaleRun {
	t.Helper()
	run, repoIDs := seedRepos(t, env, n, repos)
	// Synced after the repositories were created (through the API, so in
	// NetBox's change log): the first pass's catch-up must find nothing
	// newer than a fabric's last sync, even with its one-minute margin.
	synced := status.FormatTime(time.Now().Add(2 * time.Minute))
	in := scaleFabrics(run, repoIDs)
	for i := range in {
		in[i].CustomFields = map[string]any{
			status.FieldStatus: string(status.Initialized), status.FieldError: "",
			status.FieldLastSync:  synced,
			status.FieldCommitURL: "https://github.com/" + harness.Owner + "/" + run.repos[i%repos] + "/commit/seed",
		}
		if (i/repos)%100 == 99 {
			// One in a hundred, spread over the repositories, is left in
			// error by an earlier outage: the incremental pass confirms it
			// (a status write, no commit).
			in[i].CustomFields[status.FieldStatus] = string(status.Error)
			in[i].CustomFields[status.FieldError] = "GitHub was unreachable. The service will retry."
		}
	}
	created, err := env.NetBox.CreateFabricsDirect(in)
	if err != nil {
		t.Fatal(err)
	}
	layOutFGDs(t, run, created)
	return run
}

// seedRepos creates the repositories, on the GitHub emulator and in NetBox.
func seedRepos(t *testing.T, env *harness.Env, n, repos int) (*scaleRun, []int64) {
	t.Helper()
	run := &scaleRun{env: env, fabrics: n}
	repoIDs := make([]int64, repos)
	for r := range repos {
		name := fmt.Sprintf("scale-%03d", r+1)
		id, bare, err := env.NewRepo(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		repoIDs[r] = id
		run.repos, run.bares = append(run.repos, name), append(run.bares, bare)
	}
	return run, repoIDs
}

// scaleFabrics are the run's fabrics, fabric i on repository i%repos.
func scaleFabrics(run *scaleRun, repoIDs []int64) []netboxsim.Fabric {
	in := make([]netboxsim.Fabric, run.fabrics)
	for i := range in {
		in[i] = netboxsim.Fabric{
			Name: fmt.Sprintf("scale-fabric-%05d", i+1), GitRepository: repoIDs[i%len(repoIDs)],
			GitOpsDirectory: fmt.Sprintf("/fabrics/f-%05d/", i+1),
		}
	}
	return in
}

// layOutFGDs commits each repository's FGDs as the engine lays them out,
// in one commit per repository (git fast-import).
func layOutFGDs(t *testing.T, run *scaleRun, created []netboxsim.Fabric) {
	t.Helper()
	env, repos := run.env, len(run.repos)
	files := make([]map[string][]byte, repos)
	for r := range files {
		files[r] = map[string][]byte{}
	}
	for i, f := range created {
		dir := strings.Trim(f.GitOpsDirectory, "/")
		res, err := fgd.Compute(fgd.Snapshot{Contents: map[string][]byte{}}, fgd.Settings{FabricID: f.ID, FabricName: f.Name, RepoDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Changes {
			files[i%repos][path.Join(dir, c.Path)] = c.Content
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, repos)
	sem := make(chan struct{}, 2)
	for r := range repos {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, errs[r] = env.GitHub.ImportFiles(harness.Owner, run.repos[r], "main", files[r], "Seed FGDs")
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// pass is one "resync" log line of the service.
type pass struct {
	Pass     int
	Full     bool
	Queued   int
	Duration time.Duration
	Start    time.Time // the log time less the pass's duration
}

// findPass returns the log line of resync pass p, nil when not logged yet.
func findPass(lines []string, p int) *pass {
	for _, l := range lines {
		var rec struct {
			Time     time.Time `json:"time"`
			Msg      string    `json:"msg"`
			Pass     *int      `json:"pass"`
			Full     bool      `json:"full"`
			Queued   int       `json:"queued"`
			Duration string    `json:"duration"`
		}
		if json.Unmarshal([]byte(l), &rec) != nil || rec.Msg != "resync" || rec.Pass == nil || *rec.Pass != p {
			continue
		}
		d, _ := time.ParseDuration(rec.Duration)
		return &pass{Pass: p, Full: rec.Full, Queued: rec.Queued, Duration: d, Start: rec.Time.Add(-d)}
	}
	return nil
}

func waitPass(t *testing.T, ctx context.Context, svc *harness.Service, p int) *pass {
	t.Helper()
	for {
		if ps := findPass(svc.LogLines(), p); ps != nil {
			return ps
		}
		select {
		case <-ctx.Done():
			t.Fatalf("resync pass %d never logged: %v\n%s", p, ctx.Err(), strings.Join(tail(svc.LogLines(), 20), "\n"))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitReconciled polls the metrics until want reconciles are counted and
// the queue is empty.
func waitReconciled(t *testing.T, ctx context.Context, svc *harness.Service, want int) {
	t.Helper()
	for {
		m, err := scrape(svc.MetricsURL)
		if err == nil && int(m["hnp_gitops_reconciles_total"]) >= want && m["hnp_gitops_queue_depth"] == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d reconciles never counted (metrics %v, error %v): %v\n%s", want, m, err, ctx.Err(), strings.Join(tail(svc.LogLines(), 20), "\n"))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// scrape sums each metric's series of the service's /metrics. It asks
// for an uncompressed answer: polled as often as here, promhttp's gzip
// writers (about 1 MiB each) would count in the very RSS being measured;
// Prometheus scrapes every 15 s or more.
func scrape(base string) (map[string]float64, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = line[:i]
			_, rest, _ = strings.Cut(line[strings.LastIndexByte(line, '}'):], " ")
		}
		if v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64); err == nil {
			out[name] += v
		}
	}
	return out, sc.Err()
}

// lastReconcile is the time of the last "reconcile" log line (one per batch).
func lastReconcile(t *testing.T, lines []string) time.Time {
	t.Helper()
	var last time.Time
	for _, l := range lines {
		var rec struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		if json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == "reconcile" && rec.Time.After(last) {
			last = rec.Time
		}
	}
	if last.IsZero() {
		t.Fatal("no reconcile logged")
	}
	return last
}

// diff is after less before, zeros left out.
func diff(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// formatRoutes lists "route xN", by route.
func formatRoutes(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s x%d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// startScaleEnv checks the scale flags, starts both emulators (the GitHub
// one held to GitHub's description, without a rate limit) and sets NetBox
// up for a service on the port it returns.
func startScaleEnv(t *testing.T, n, repos int) (*harness.Env, string) {
	t.Helper()
	if n < repos || repos < 1 {
		t.Fatalf("-scale.fabrics=%d -scale.repos=%d: want at least one fabric per repository", n, repos)
	}
	env, err := harness.Start(harness.Options{Dir: t.TempDir(), GitHub: githubsim.Options{RateLimit: 1 << 30, Wrap: testkit.Contract(t).Wrap}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	port := freePort(t)
	if _, err := env.Setup(context.Background(), "http://127.0.0.1:"+port); err != nil {
		t.Fatal(err)
	}
	return env, port
}
