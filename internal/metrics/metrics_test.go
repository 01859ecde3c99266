package metrics

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type fakeQueue struct{}

func (fakeQueue) Len() int                 { return 3 }
func (fakeQueue) OldestAge() time.Duration { return 1500 * time.Millisecond }

// wantNames is the service's metric surface. Changing it is a change of the
// dashboard, the alerts and docs/operations.md too.
var wantNames = []string{
	"hnp_gitops_build_info",
	"hnp_gitops_commits_total",
	"hnp_gitops_documents_placed_total",
	"hnp_gitops_fabrics",
	"hnp_gitops_git_webhook_deliveries_total",
	"hnp_gitops_git_webhook_last_received_timestamp_seconds",
	"hnp_gitops_github_rate_limit_remaining",
	"hnp_gitops_github_rate_limit_reset_timestamp_seconds",
	"hnp_gitops_journal_entries_total",
	"hnp_gitops_git_requests_total",
	"hnp_gitops_github_requests_total",
	"hnp_gitops_netbox_requests_total",
	"hnp_gitops_netbox_errors_total",
	"hnp_gitops_pull_requests_opened_total",
	"hnp_gitops_queue_depth",
	"hnp_gitops_queue_oldest_item_age_seconds",
	"hnp_gitops_reconcile_duration_seconds",
	"hnp_gitops_reconciles_total",
	"hnp_gitops_resync_enqueued_total",
	"hnp_gitops_resync_interval_seconds",
	"hnp_gitops_resync_last_success_timestamp_seconds",
	"hnp_gitops_resync_leader",
	"hnp_gitops_status_write_failures_total",
	"hnp_gitops_status_writes_total",
	"hnp_gitops_webhook_deliveries_total",
	"hnp_gitops_webhook_last_received_timestamp_seconds",
}

func TestNamesAndLint(t *testing.T) {
	t.Parallel()
	m := New(BuildInfo{Version: "v1", Revision: "abc"})
	m.ObserveQueue(fakeQueue{})
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "hnp_gitops_") {
			got = append(got, mf.GetName())
		}
	}
	sort.Strings(got)
	// The request counters have no pre-initialised series (their labels are
	// routes), so they appear only after a request: record one of each.
	if diff := cmp.Diff(without(wantNames, "hnp_gitops_git_requests_total", "hnp_gitops_github_requests_total", "hnp_gitops_netbox_requests_total"), got); diff != "" {
		t.Errorf("metric names at start (-want +got):\n%s", diff)
	}
	for _, name := range wantNames {
		problems, err := testutil.CollectAndLint(m.Registry(), name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint %s: %s", p.Metric, p.Text)
		}
	}
}

func without(list []string, drop ...string) []string {
	var out []string
	for _, s := range list {
		keep := true
		for _, d := range drop {
			keep = keep && s != d
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}

func TestPreinitialisedSeries(t *testing.T) {
	t.Parallel()
	m := New(BuildInfo{})
	for _, tc := range []struct {
		name   string
		values []string
	}{
		{"hnp_gitops_webhook_deliveries_total", WebhookResults},
		{"hnp_gitops_git_webhook_deliveries_total", make([]string, len(GitWebhookHosts)*len(GitWebhookResults))},
		{"hnp_gitops_reconciles_total", ReconcileResults},
		{"hnp_gitops_fabrics", GitOpsStatuses},
		{"hnp_gitops_documents_placed_total", Placements},
	} {
		if n := testutil.CollectAndCount(m.Registry(), tc.name); n != len(tc.values) {
			t.Errorf("%s: %d series at start, want %d (%v)", tc.name, n, len(tc.values), tc.values)
		}
	}
	// Before ObserveQueue the queue series exist and read an empty queue.
	if n := testutil.CollectAndCount(m.Registry(), "hnp_gitops_queue_depth"); n != 1 {
		t.Errorf("queue series before ObserveQueue: %d, want 1", n)
	}
	if v := testutil.ToFloat64(m.queueDepth); v != 0 {
		t.Errorf("queue depth before ObserveQueue = %v, want 0", v)
	}
}

func TestRecording(t *testing.T) {
	t.Parallel()
	m := New(BuildInfo{})
	m.ObserveQueue(fakeQueue{})
	now := time.Unix(1700000000, 0)
	m.Webhook("accepted", now)
	m.Webhook("bad_signature", now.Add(time.Hour))
	m.Reconcile("committed", 2*time.Second)
	m.Commit(map[string]int{"managed": 48, "unmanaged": 2})
	m.FabricStatuses(map[string]int{"initialized": 7, "error": 1})
	m.ResyncEnqueued(4)
	m.PullRequestOpened()
	m.StatusWrite()
	for _, tc := range []struct {
		name string
		got  float64
		want float64
	}{
		{"accepted", testutil.ToFloat64(m.webhooks.WithLabelValues("accepted")), 1},
		{"bad signature", testutil.ToFloat64(m.webhooks.WithLabelValues("bad_signature")), 1},
		{"last received is the valid one", testutil.ToFloat64(m.webhookLast), float64(now.Unix())},
		{"committed", testutil.ToFloat64(m.reconciles.WithLabelValues("committed")), 1},
		{"commits", testutil.ToFloat64(m.commits), 1},
		{"managed docs", testutil.ToFloat64(m.documents.WithLabelValues("managed")), 48},
		{"initialized fabrics", testutil.ToFloat64(m.fabrics.WithLabelValues("initialized")), 7},
		{"not_initialized reset to 0", testutil.ToFloat64(m.fabrics.WithLabelValues("not_initialized")), 0},
		{"resync", testutil.ToFloat64(m.resyncEnqueued), 4},
		{"prs", testutil.ToFloat64(m.pullRequests), 1},
		{"status writes", testutil.ToFloat64(m.statusWrites), 1},
		{"queue depth", testutil.ToFloat64(m.queueDepth), 3},
		{"queue age", testutil.ToFloat64(m.queueOldestSeconds), 1.5},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

type stubRT struct {
	resp *http.Response
	err  error
}

func (s stubRT) RoundTrip(*http.Request) (*http.Response, error) { return s.resp, s.err }

func TestTransports(t *testing.T) {
	t.Parallel()
	m := New(BuildInfo{})
	route := func(*http.Request) string { return "GET /repos/{owner}/{repo}/git/trees/{tree_sha}" }
	rec := httptest.NewRecorder()
	rec.Header().Set("X-Ratelimit-Remaining", "4321")
	rec.Header().Set("X-Ratelimit-Reset", "1700000000")
	rec.WriteHeader(http.StatusOK)
	gh := m.GitHubTransport(stubRT{resp: rec.Result()}, route)
	req := httptest.NewRequest(http.MethodGet, "https://api.github.com/repos/o/r/git/trees/x", nil)
	if _, err := gh.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	nb := m.NetBoxTransport(stubRT{err: errors.New("connection refused")}, func(*http.Request) string { return "GET /api/status/" })
	if _, err := nb.RoundTrip(req); err == nil {
		t.Fatal("want the transport's error passed through")
	}
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"github 2xx", testutil.ToFloat64(m.githubRequests.WithLabelValues("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", "2xx")), 1},
		{"remaining", testutil.ToFloat64(m.githubRateRemain), 4321},
		{"reset", testutil.ToFloat64(m.githubRateReset), 1700000000},
		{"netbox error", testutil.ToFloat64(m.netboxRequests.WithLabelValues("GET /api/status/", "error")), 1},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	var nilM *Metrics
	nilM.Webhook("accepted", time.Now()) // a nil *Metrics records nothing and does not panic
	if nilM.GitHubTransport(http.DefaultTransport, route) != http.DefaultTransport {
		t.Error("a nil *Metrics must return the base transport")
	}
}

// A replica that stops leading the resync drops its fabric gauges, so that
// its last counts neither add to the new leader's nor linger; leading
// again, the next pass sets them.
func TestFabricGaugesFollowTheLead(t *testing.T) {
	t.Parallel()
	m := New(BuildInfo{})
	m.ResyncLeader(true)
	m.FabricStatuses(map[string]int{"error": 2})
	m.ResyncInterval(5 * time.Minute)
	m.ResyncPassed(time.Unix(1700000000, 0))
	if n := testutil.CollectAndCount(m.Registry(), "hnp_gitops_fabrics"); n != len(GitOpsStatuses) {
		t.Fatalf("leader exports %d fabric series, want %d", n, len(GitOpsStatuses))
	}
	if v := testutil.ToFloat64(m.resyncLastSuccess); v != 1700000000 {
		t.Errorf("last success = %v", v)
	}
	if v := testutil.ToFloat64(m.resyncInterval); v != 300 {
		t.Errorf("interval = %v", v)
	}
	m.ResyncLeader(false)
	if n := testutil.CollectAndCount(m.Registry(), "hnp_gitops_fabrics"); n != 0 {
		t.Errorf("after losing the lead: %d fabric series, want none", n)
	}
	if v := testutil.ToFloat64(m.leader); v != 0 {
		t.Errorf("leader = %v", v)
	}
}
