// Command hookload measures how fast hnp-gitops acknowledges NetBox
// webhooks, against a baseline measured in the same run.
//
// In one process, on loopback, it serves (a) the real internal/server
// handler, with a webhook secret and a queue that only counts, and (b) a
// bare echo handler that answers 202 without reading the body. It drives
// each at a fixed rate with real signed fabric bodies (NetBox 4.2 and 4.6
// forms, Python json.dumps format), alternating A/B over several rounds.
// The load is open-loop: request i is due at start + i/rate and its latency
// is measured from that due time, not from when it was actually sent, so a
// stall is charged to every request it delayed (no coordinated omission).
//
// It prints p50/p99/max of each run, the medians over rounds, the ratio
// p99(server)/p99(bare) (the target is at most 1.5), the same from the
// actual send time (without the generator's own lateness, printed as
// send-late99), the process CPU time and its peak RSS. It only talks to the
// servers it starts.
//
//	go run ./test/cmd/hookload -rate 1000 -duration 20s -rounds 3
//
// On a shared, overloaded machine a normal-priority run measures the other
// tenants (the generator itself is then late by hundreds of milliseconds);
// run the built binary under `chrt -f 10` to give both targets, which share
// the process, the same clean CPU. docs/webhooks.md has the figures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/githedgehog/hnp-gitops/internal/metrics"
	"github.com/githedgehog/hnp-gitops/internal/server"
	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/nbwire"
)

const secret = "hookload-webhook-secret"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hookload:", err)
		os.Exit(1)
	}
}

type options struct {
	rate      int
	duration  time.Duration
	rounds    int
	warmup    time.Duration
	bodies    int
	failRatio float64
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hookload", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.rate, "rate", 1000, "requests per second sent to each target")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "length of one run against one target")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds; each runs both targets, in alternating order")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load on each target before the first round")
	fs.IntVar(&o.bodies, "bodies", 64, "distinct signed fabric bodies to cycle through")
	fs.Float64Var(&o.failRatio, "fail-ratio", 0, "exit with an error when the median p99 ratio exceeds this (0: never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.rate < 1 || o.duration <= 0 || o.rounds < 1 || o.bodies < 1 {
		return errors.New("-rate, -duration, -rounds and -bodies must be positive")
	}

	deliveries, err := makeDeliveries(o.bodies)
	if err != nil {
		return err
	}
	var queued atomic.Int64
	real, err := server.New(server.Options{
		WebhookSecret: []byte(secret),
		Queue:         countingQueue{&queued},
		Metrics:       metrics.New(metrics.BuildInfo{Version: "hookload"}),
	})
	if err != nil {
		return err
	}
	bare := echo.New()
	bare.POST("/webhooks/netbox", func(c echo.Context) error { return c.NoContent(http.StatusAccepted) })

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	serveErrs := make(chan error, 2)
	targets := []*target{{name: "bare"}, {name: "server"}}
	// Stopping closes the client's idle connections first: a connection the
	// client dialled but never used is "new" to the server, and Shutdown
	// waits for those.
	stopServers := func() {
		for _, t := range targets {
			if t.client != nil {
				t.client.CloseIdleConnections()
			}
		}
		cancel()
		wg.Wait()
	}
	defer stopServers()
	for i, h := range []http.Handler{bare, real} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		targets[i].url = "http://" + ln.Addr().String() + "/webhooks/netbox"
		targets[i].client = &http.Client{Transport: &http.Transport{
			MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute, DisableCompression: true,
		}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveErrs <- server.Serve(sctx, ln, h, 5*time.Second, nil)
		}()
	}

	fmt.Fprintf(stdout, "hookload: %d req/s, %s per run, %d rounds, %d bodies; %s, GOMAXPROCS %d, %d CPUs, load average %s\n",
		o.rate, o.duration, o.rounds, o.bodies, runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), loadAverage())
	if o.warmup > 0 {
		for _, t := range targets {
			if _, err := t.drive(ctx, o.rate, o.warmup, deliveries); err != nil {
				return fmt.Errorf("warm-up of %s: %w", t.name, err)
			}
		}
	}

	startUsage := rusage()
	sent := map[string]int{}
	byTarget := map[string][]stats{}
	fmt.Fprintf(stdout, "%-5s %-6s %7s %6s %10s %10s %10s | %11s %10s %10s | %8s\n",
		"round", "target", "sent", "errors", "p50", "p99", "max", "send-late99", "svc-p50", "svc-p99", "cpu")
	for r := range o.rounds {
		order := targets
		if r%2 == 1 {
			order = []*target{targets[1], targets[0]}
		}
		for _, t := range order {
			before := rusage()
			st, err := t.drive(ctx, o.rate, o.duration, deliveries)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", r+1, t.name, err)
			}
			st.cpu = rusage().cpu - before.cpu
			byTarget[t.name] = append(byTarget[t.name], st)
			sent[t.name] += st.sent
			fmt.Fprintf(stdout, "%-5d %-6s %7d %6d %10s %10s %10s | %11s %10s %10s | %8s\n", r+1, t.name, st.sent, st.errors,
				round(st.p50), round(st.p99), round(st.max), round(st.lateP99), round(st.svcP50), round(st.svcP99),
				st.cpu.Round(time.Millisecond))
		}
	}
	end := rusage()

	ratios := make([]float64, o.rounds)
	svcRatios := make([]float64, o.rounds)
	for i := range o.rounds {
		s, b := byTarget["server"][i], byTarget["bare"][i]
		ratios[i] = float64(s.p99) / float64(b.p99)
		svcRatios[i] = float64(s.svcP99) / float64(b.svcP99)
	}
	fmt.Fprintln(stdout, "medians over rounds:")
	for _, t := range targets {
		s := byTarget[t.name]
		fmt.Fprintf(stdout, "  %-6s p50 %s  p99 %s  max %s  (from the actual send: p50 %s  p99 %s)\n", t.name,
			round(median(s, func(x stats) time.Duration { return x.p50 })),
			round(median(s, func(x stats) time.Duration { return x.p99 })),
			round(median(s, func(x stats) time.Duration { return x.max })),
			round(median(s, func(x stats) time.Duration { return x.svcP50 })),
			round(median(s, func(x stats) time.Duration { return x.svcP99 })))
	}
	medRatio := medianFloat(ratios)
	fmt.Fprintf(stdout, "p99 ratio server/bare: median %.2f (per round %s; target <= 1.50)\n", medRatio, formatRatios(ratios))
	fmt.Fprintf(stdout, "p99 ratio from the actual send (leaves out the generator's own lateness): median %.2f (per round %s)\n",
		medianFloat(svcRatios), formatRatios(svcRatios))
	fmt.Fprintf(stdout, "process: CPU %s user+sys over the measured rounds (%s per 1,000 requests), peak RSS %s (VmHWM %s)\n",
		(end.cpu - startUsage.cpu).Round(time.Millisecond),
		((end.cpu - startUsage.cpu) * 1000 / time.Duration(sent["bare"]+sent["server"])).Round(time.Microsecond),
		mib(end.maxRSS), vmHWM())

	errorsTotal := 0
	for _, s := range append(byTarget["bare"], byTarget["server"]...) {
		errorsTotal += s.errors
	}
	if errorsTotal > 0 {
		return fmt.Errorf("%d requests failed or were not answered 202", errorsTotal)
	}
	// Every delivery to the real server is a fabric update by a user, so
	// each must have reached the queue.
	if want := int64(sent["server"]) + warmupCount(o); queued.Load() != want {
		return fmt.Errorf("server queued %d fabrics, want %d", queued.Load(), want)
	}
	if o.failRatio > 0 && medRatio > o.failRatio {
		return fmt.Errorf("median p99 ratio %.2f exceeds %.2f", medRatio, o.failRatio)
	}
	stopServers()
	close(serveErrs)
	for err := range serveErrs {
		if err != nil {
			return err
		}
	}
	return nil
}

func warmupCount(o options) int64 {
	if o.warmup <= 0 {
		return 0
	}
	return int64(requestsIn(o.rate, o.warmup))
}

func requestsIn(rate int, d time.Duration) int {
	return int(int64(rate) * int64(d) / int64(time.Second))
}

type countingQueue struct{ n *atomic.Int64 }

func (q countingQueue) Enqueue(int64, string) { q.n.Add(1) }

type delivery struct {
	body      []byte
	signature string
}

// makeDeliveries renders n user edits of fabrics 1..n, alternating the 4.2
// and 4.6 payload forms, each signed with the secret.
func makeDeliveries(n int) ([]delivery, error) {
	out := make([]delivery, n)
	for i := range out {
		id := int64(i + 1)
		cf := func(status string) map[string]any {
			return map[string]any{"gitops_directory_status": status, "directory_init_error": "", "last_directory_sync": nil, "gitops_commit_url": nil}
		}
		snap := func(desc string) map[string]any {
			return map[string]any{"name": fmt.Sprintf("fabric-%d", id), "description": desc, "git_repository": 3,
				"gitops_directory": "gitops/hedgehog/fabric-1/", "custom_fields": cf("initialized"), "tags": []any{}}
		}
		ev := &netboxhook.Event{
			Event: netboxhook.EventUpdated, Timestamp: time.Date(2026, 3, 6, 15, 11, 23, 503186000, time.UTC),
			ObjectType: "netbox_hedgehog.hedgehogfabric", Model: "hedgehogfabric", Username: "admin",
			RequestID: fmt.Sprintf("0b6a1c4e-2f0c-4b8e-9a57-%012d", id), RequestMethod: "PATCH",
			RequestPath: fmt.Sprintf("/api/plugins/hedgehog/fabrics/%d/", id),
			Data: map[string]any{
				"id": id, "url": fmt.Sprintf("/api/plugins/hedgehog/fabrics/%d/", id), "display": fmt.Sprintf("fabric-%d", id),
				"name": fmt.Sprintf("fabric-%d", id), "description": "edited by hookload", "gitops_directory": "gitops/hedgehog/fabric-1/",
				"git_repository":       map[string]any{"id": 3, "url": "/api/plugins/hedgehog/git-repos-api/3/", "display": "repo", "name": "repo"},
				"kubernetes_namespace": "default", "custom_fields": cf("initialized"), "tags": []any{},
				"created": "2026-03-06T15:00:00.000000Z", "last_updated": "2026-03-06T15:11:23.503186Z",
			},
			Prechange: snap("before"), Postchange: snap("edited by hookload"),
		}
		form := nbwire.Form40
		if i%2 == 1 {
			form = nbwire.Form46
		}
		body, err := nbwire.Body(form, ev)
		if err != nil {
			return nil, err
		}
		out[i] = delivery{body: body, signature: netboxhook.Sign([]byte(secret), body)}
	}
	return out, nil
}

type target struct {
	name   string
	url    string
	client *http.Client
}

type stats struct {
	sent, errors   int
	p50, p99, max  time.Duration
	lateP99        time.Duration // how late the generator sent, p99
	svcP50, svcP99 time.Duration // from the actual send, not the due time
	cpu            time.Duration
}

// drive sends rate requests per second for d, open-loop, and returns the
// latency statistics measured from each request's due time.
func (t *target) drive(ctx context.Context, rate int, d time.Duration, deliveries []delivery) (stats, error) {
	n := requestsIn(rate, d)
	if n < 1 {
		return stats{}, errors.New("fewer than one request per run")
	}
	interval := time.Second / time.Duration(rate)
	latency := make([]time.Duration, n)
	late := make([]time.Duration, n)
	service := make([]time.Duration, n)
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now().Add(10 * time.Millisecond)
	// The Go runtime's timers wake up to a millisecond late on Linux, which
	// would add up to 1 ms to every latency of both targets and blur their
	// difference. The pacing loop therefore keeps its own OS thread and
	// sleeps with nanosleep, which is accurate to tens of microseconds.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for i := range n {
		if ctx.Err() != nil {
			wg.Wait()
			return stats{}, ctx.Err()
		}
		due := start.Add(time.Duration(i) * interval)
		sleepUntil(due)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent := time.Now()
			late[i] = sent.Sub(due)
			if !t.send(ctx, deliveries[i%len(deliveries)]) {
				failed.Add(1)
			}
			done := time.Now()
			latency[i], service[i] = done.Sub(due), done.Sub(sent)
		}()
	}
	wg.Wait()
	slices.Sort(latency)
	slices.Sort(late)
	slices.Sort(service)
	return stats{
		sent: n, errors: int(failed.Load()),
		p50: quantile(latency, 0.50), p99: quantile(latency, 0.99), max: latency[n-1],
		lateP99: quantile(late, 0.99),
		svcP50:  quantile(service, 0.50), svcP99: quantile(service, 0.99),
	}, nil
}

func (t *target) send(ctx context.Context, d delivery) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(string(d.body)))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(netboxhook.SignatureHeader, d.signature)
	resp, err := t.client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusAccepted
}

// sleepUntil blocks the calling OS thread until t.
func sleepUntil(t time.Time) {
	for {
		w := time.Until(t)
		if w <= 0 {
			return
		}
		ts := syscall.NsecToTimespec(int64(w))
		_ = syscall.Nanosleep(&ts, nil) // EINTR: loop and sleep the rest
	}
}

// quantile of sorted durations, nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func median(s []stats, f func(stats) time.Duration) time.Duration {
	v := make([]time.Duration, len(s))
	for i, x := range s {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

func medianFloat(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

func formatRatios(r []float64) string {
	parts := make([]string, len(r))
	for i, x := range r {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, " ")
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= 100*time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}

type usage struct {
	cpu    time.Duration
	maxRSS int64 // bytes
}

func rusage() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	return usage{
		cpu:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		maxRSS: ru.Maxrss * 1024, // KiB on Linux
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// vmHWM reads the peak resident set size from /proc/self/status.
func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
