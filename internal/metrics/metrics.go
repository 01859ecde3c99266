package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "hnp_gitops"

// Label values, pre-initialised at start so that rate() and alerts work
// before the first event of a kind.
var (
	WebhookResults = []string{"accepted", "ignored", "self", "bad_signature", "bad_request", "too_large"}
	// GitWebhookHosts and GitWebhookResults label git host deliveries
	// ("unknown": no host's event header).
	GitWebhookHosts   = []string{"github", "gitlab", "gitea", "unknown"}
	GitWebhookResults = []string{"accepted", "ignored", "self", "ping", "bad_signature", "bad_request", "too_large"}
	ReconcileResults  = []string{"committed", "unchanged", "retry", "failed", "deleted"}
	GitOpsStatuses    = []string{"not_initialized", "initializing", "initialized", "error", "invalid_structure"}
	Placements        = []string{"managed", "unmanaged", "kept"}
	StatusClasses     = []string{"2xx", "3xx", "4xx", "5xx", "error"}
	NetBoxErrorCodes  = []string{"400", "401", "403", "404"}
	// JournalResults are reconcile.JournalWritten, JournalRepeated and
	// JournalFailed.
	JournalResults = []string{"written", "repeated", "failed"}
)

// Metrics holds the service's collectors. The zero value is not usable; a
// nil *Metrics is, and records nothing.
type Metrics struct {
	reg *prometheus.Registry

	webhooks           *prometheus.CounterVec
	webhookLast        prometheus.Gauge
	gitWebhooks        *prometheus.CounterVec
	gitWebhookLast     prometheus.Gauge
	reconciles         *prometheus.CounterVec
	reconcileDuration  prometheus.Histogram
	fabrics            *prometheus.GaugeVec
	resyncEnqueued     prometheus.Counter
	githubRequests     *prometheus.CounterVec
	githubRateRemain   prometheus.Gauge
	githubRateReset    prometheus.Gauge
	commits            prometheus.Counter
	pullRequests       prometheus.Counter
	documents          *prometheus.CounterVec
	netboxRequests     *prometheus.CounterVec
	gitRequests        *prometheus.CounterVec
	statusWrites       prometheus.Counter
	statusWriteFails   *prometheus.CounterVec
	journal            *prometheus.CounterVec
	netboxErrors       *prometheus.CounterVec
	leader             prometheus.Gauge
	resyncLastSuccess  prometheus.Gauge
	resyncInterval     prometheus.Gauge
	queueDepth         prometheus.GaugeFunc
	queueOldestSeconds prometheus.GaugeFunc
	queue              atomic.Pointer[QueueStats]
}

// QueueStats is what the work queue reports about itself.
type QueueStats interface {
	// Len is the number of keys waiting (not counting those in flight).
	Len() int
	// OldestAge is how long the oldest waiting key has waited.
	OldestAge() time.Duration
}

// ObserveQueue makes the queue series report q. The controller is built
// with its metrics, so the queue is named after both exist.
func (m *Metrics) ObserveQueue(q QueueStats) {
	if m != nil {
		m.queue.Store(&q)
	}
}

func (m *Metrics) observed() QueueStats {
	if q := m.queue.Load(); q != nil {
		return *q
	}
	return noQueue{}
}

// noQueue is the queue before ObserveQueue: empty.
type noQueue struct{}

func (noQueue) Len() int                 { return 0 }
func (noQueue) OldestAge() time.Duration { return 0 }

// BuildInfo is stamped into the hnp_gitops_build_info series.
type BuildInfo struct {
	Version, Revision string
}

// New creates the collectors and registers them, with the Go and process
// collectors, on a new registry. The queue series read 0 until
// ObserveQueue names the queue.
func New(info BuildInfo) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg}
	m.webhooks = counterVec("webhook_deliveries_total", "NetBox webhook deliveries received, by result (accepted, ignored, self, bad_signature, bad_request, too_large).", "result")
	m.webhookLast = gauge("webhook_last_received_timestamp_seconds", "Unix time of the last webhook delivery with a valid signature.")
	m.gitWebhooks = counterVec("git_webhook_deliveries_total", "Git host push webhook deliveries received, by host (github, gitlab, gitea, unknown) and result (accepted, ignored, self, ping, bad_signature, bad_request, too_large).", "host", "result")
	m.gitWebhookLast = gauge("git_webhook_last_received_timestamp_seconds", "Unix time of the last git host webhook delivery with a valid signature.")
	m.reconciles = counterVec("reconciles_total", "Fabric reconciles, by result (committed, unchanged, retry, failed, deleted).", "result")
	m.reconcileDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Name: "reconcile_duration_seconds",
		Help:    "Time from taking a batch off the queue to its result, in seconds.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
	})
	m.fabrics = gaugeVec("fabrics", "Fabrics by GitOps directory status, as seen by the last full resync.", "status")
	m.resyncEnqueued = counter("resync_enqueued_total", "Fabrics queued by the periodic resync (not by a webhook).")
	m.githubRequests = counterVec("github_requests_total", "HTTP requests to the GitHub API, by route template and status class.", "route", "code")
	m.githubRateRemain = gauge("github_rate_limit_remaining", "The x-ratelimit-remaining header of the last GitHub response.")
	m.githubRateReset = gauge("github_rate_limit_reset_timestamp_seconds", "The x-ratelimit-reset header (Unix time) of the last GitHub response.")
	m.commits = counter("commits_total", "Commits pushed to a branch.")
	m.pullRequests = counter("pull_requests_opened_total", "Pull requests opened (pull-request mode).")
	m.documents = counterVec("documents_placed_total", "Source YAML documents placed by a committed reconcile, by placement (managed, unmanaged, kept).", "placement")
	m.netboxRequests = counterVec("netbox_requests_total", "HTTP requests to the NetBox REST API, by route template and status class.", "route", "code")
	m.gitRequests = counterVec("git_requests_total", "Git smart-HTTP requests to repositories not on GitHub, by endpoint and status class.", "route", "code")
	m.statusWrites = counter("status_writes_total", "PATCH requests that changed a fabric's status custom fields.")
	m.statusWriteFails = counterVec("status_write_failures_total", "Status writes NetBox refused or did not answer, by HTTP status code (\"error\": no answer). The directory is reconciled anyway and the write retried.", "code")
	m.journal = counterVec("journal_entries_total", "Journal entries of reconciles that changed something or failed, by result (written; repeated: the newest entry already said it, none written; failed: NetBox refused or did not answer).", "result")
	m.netboxErrors = counterVec("netbox_errors_total", "NetBox REST API answers with a 4xx or 5xx status, by exact code, so that 401 and 403 stay apart (NetBox 4.3 answers 403 \"Invalid token\" to a revoked token).", "code")
	m.leader = gauge("resync_leader", "1 while this replica runs the resync (always 1 without --leader-election).")
	m.resyncLastSuccess = gauge("resync_last_success_timestamp_seconds", "Unix time of this replica's last resync pass that listed the fabrics; 0 before the first.")
	m.resyncInterval = gauge("resync_interval_seconds", "The configured --resync-interval, in seconds; 0 until the resync loop starts.")
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Build information; always 1.",
		ConstLabels: prometheus.Labels{"version": info.Version, "revision": info.Revision, "goversion": runtime.Version()},
	})
	build.Set(1)

	reg.MustRegister(m.webhooks, m.webhookLast, m.gitWebhooks, m.gitWebhookLast, m.reconciles, m.reconcileDuration, m.fabrics,
		m.resyncEnqueued, m.githubRequests, m.githubRateRemain, m.githubRateReset, m.commits,
		m.pullRequests, m.documents, m.netboxRequests, m.gitRequests, m.statusWrites, m.statusWriteFails, m.journal, m.netboxErrors, m.leader, m.resyncLastSuccess, m.resyncInterval, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.queueDepth = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "queue_depth",
		Help: "Fabrics waiting to be reconciled: in the work queue, or in their repository branch's group waiting for its writer.",
	}, func() float64 { return float64(m.observed().Len()) })
	m.queueOldestSeconds = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "queue_oldest_item_age_seconds",
		Help: "How long the oldest waiting key has waited, in seconds.",
	}, func() float64 { return m.observed().OldestAge().Seconds() })
	reg.MustRegister(m.queueDepth, m.queueOldestSeconds)

	for _, v := range WebhookResults {
		m.webhooks.WithLabelValues(v)
	}
	for _, h := range GitWebhookHosts {
		for _, v := range GitWebhookResults {
			m.gitWebhooks.WithLabelValues(h, v)
		}
	}
	for _, v := range ReconcileResults {
		m.reconciles.WithLabelValues(v)
	}
	for _, v := range GitOpsStatuses {
		m.fabrics.WithLabelValues(v)
	}
	for _, v := range Placements {
		m.documents.WithLabelValues(v)
	}
	for _, v := range JournalResults {
		m.journal.WithLabelValues(v)
	}
	for _, v := range NetBoxErrorCodes {
		m.netboxErrors.WithLabelValues(v)
		m.statusWriteFails.WithLabelValues(v)
	}
	return m
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
}

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help})
}

func gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, labels)
}

// Registry returns the registry the collectors live on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Webhook counts one delivery with a result of WebhookResults.
func (m *Metrics) Webhook(result string, now time.Time) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(result).Inc()
	if result == "accepted" || result == "ignored" || result == "self" {
		m.webhookLast.Set(float64(now.Unix()))
	}
}

// GitWebhook counts one git host delivery with a host of GitWebhookHosts
// and a result of GitWebhookResults.
func (m *Metrics) GitWebhook(host, result string, now time.Time) {
	if m == nil {
		return
	}
	m.gitWebhooks.WithLabelValues(host, result).Inc()
	switch result {
	case "accepted", "ignored", "self", "ping":
		m.gitWebhookLast.Set(float64(now.Unix()))
	}
}

// Reconcile records one reconcile result of ReconcileResults and its duration.
func (m *Metrics) Reconcile(result string, d time.Duration) {
	if m == nil {
		return
	}
	m.reconciles.WithLabelValues(result).Inc()
	m.reconcileDuration.Observe(d.Seconds())
}

// FabricStatuses sets the per-status fabric counts (missing statuses are 0).
func (m *Metrics) FabricStatuses(counts map[string]int) {
	if m == nil {
		return
	}
	for _, s := range GitOpsStatuses {
		m.fabrics.WithLabelValues(s).Set(float64(counts[s]))
	}
}

// ResyncEnqueued counts fabrics queued by the resync loop.
func (m *Metrics) ResyncEnqueued(n int) {
	if m == nil {
		return
	}
	m.resyncEnqueued.Add(float64(n))
}

// Commit counts a pushed commit and the documents it placed, by placement.
func (m *Metrics) Commit(placed map[string]int) {
	if m == nil {
		return
	}
	m.commits.Inc()
	for p, n := range placed {
		m.documents.WithLabelValues(p).Add(float64(n))
	}
}

// PullRequestOpened counts a pull request the service opened.
func (m *Metrics) PullRequestOpened() {
	if m == nil {
		return
	}
	m.pullRequests.Inc()
}

// ResyncLeader records whether this replica runs the resync.
func (m *Metrics) ResyncLeader(leading bool) {
	if m == nil {
		return
	}
	if leading {
		m.leader.Set(1)
		return
	}
	m.leader.Set(0)
	// A replica that does not run the resync does not know the fabrics'
	// statuses: it exports none, so that its last counts never add to or
	// outlive the leader's.
	m.fabrics.Reset()
}

// ResyncPassed records a resync pass that listed the fabrics.
func (m *Metrics) ResyncPassed(at time.Time) {
	if m == nil {
		return
	}
	m.resyncLastSuccess.Set(float64(at.UnixNano()) / 1e9)
}

// ResyncInterval records the resync loop's interval.
func (m *Metrics) ResyncInterval(d time.Duration) {
	if m == nil {
		return
	}
	m.resyncInterval.Set(d.Seconds())
}

// StatusWrite counts a write of a fabric's status custom fields.
func (m *Metrics) StatusWrite() {
	if m == nil {
		return
	}
	m.statusWrites.Inc()
}

// StatusWriteFailed counts a status write NetBox refused (code: its HTTP
// status) or did not answer ("error").
func (m *Metrics) StatusWriteFailed(code string) {
	if m == nil {
		return
	}
	m.statusWriteFails.WithLabelValues(code).Inc()
}

// JournalEntry counts one journal entry of a reconcile by result
// (JournalResults).
func (m *Metrics) JournalEntry(result string) {
	if m == nil {
		return
	}
	m.journal.WithLabelValues(result).Inc()
}

// GitHubTransport wraps base so that every request to GitHub is counted by
// route (route(req) must return a template such as
// "GET /repos/{owner}/{repo}/git/trees", never a raw path) and the rate-limit
// headers are recorded.
func (m *Metrics) GitHubTransport(base http.RoundTripper, route func(*http.Request) string) http.RoundTripper {
	if m == nil {
		return base
	}
	return &countingTransport{base: base, route: route, vec: m.githubRequests, after: func(resp *http.Response) {
		if v, err := strconv.ParseFloat(resp.Header.Get("X-Ratelimit-Remaining"), 64); err == nil {
			m.githubRateRemain.Set(v)
		}
		if v, err := strconv.ParseFloat(resp.Header.Get("X-Ratelimit-Reset"), 64); err == nil {
			m.githubRateReset.Set(v)
		}
	}}
}

// NetBoxTransport wraps base so that every request to NetBox is counted by
// route template.
func (m *Metrics) NetBoxTransport(base http.RoundTripper, route func(*http.Request) string) http.RoundTripper {
	if m == nil {
		return base
	}
	return &countingTransport{base: base, route: route, vec: m.netboxRequests, after: func(resp *http.Response) {
		if resp.StatusCode >= 400 {
			m.netboxErrors.WithLabelValues(strconv.Itoa(resp.StatusCode)).Inc()
		}
	}}
}

// GitTransport wraps base so that every git smart-HTTP request to a host
// that is not GitHub is counted by route template.
func (m *Metrics) GitTransport(base http.RoundTripper, route func(*http.Request) string) http.RoundTripper {
	if m == nil {
		return base
	}
	return &countingTransport{base: base, route: route, vec: m.gitRequests}
}

type countingTransport struct {
	base  http.RoundTripper
	route func(*http.Request) string
	vec   *prometheus.CounterVec
	after func(*http.Response)
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	class := "error"
	if err == nil {
		class = strconv.Itoa(resp.StatusCode/100) + "xx"
		if t.after != nil {
			t.after(resp)
		}
	}
	t.vec.WithLabelValues(t.route(req), class).Inc()
	return resp, err
}
