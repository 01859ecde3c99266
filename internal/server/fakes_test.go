package server_test

import (
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/githedgehog/hnp-gitops/internal/metrics"
	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/nbwire"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// fakeQueue deduplicates by fabric id like the real queue, and records
// every call.
type fakeQueue struct {
	mu    sync.Mutex
	keys  map[int64]bool
	calls []string
}

func (q *fakeQueue) Enqueue(id int64, reason string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.keys == nil {
		q.keys = map[int64]bool{}
	}
	q.keys[id] = true
	q.calls = append(q.calls, reason)
}

func (q *fakeQueue) Keys() []int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []int64
	for k := range q.keys {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (q *fakeQueue) Calls() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.calls...)
}

type fakeSelf map[string]bool

func (f fakeSelf) IsOwnRequest(id string) bool { return f[id] }

type fakeResults map[int64]any

func (f fakeResults) Result(id int64) (any, bool) {
	r, ok := f[id]
	return r, ok
}

func testLogger(buf *testkit.SyncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// webhookCounts reads hnp_gitops_webhook_deliveries_total by result,
// leaving out zeros.
func webhookCounts(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "hnp_gitops_webhook_deliveries_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			if v := mt.GetCounter().GetValue(); v != 0 {
				out[labelValue(mt.GetLabel(), "result")] = v
			}
		}
	}
	return out
}

func labelValue(labels []*dto.LabelPair, name string) string {
	for _, l := range labels {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// fabric is a HedgehogFabric as NetBox's REST API and snapshots show it.
type fabric struct {
	id          int64
	description string
	status      string // gitops_directory_status custom field
	initError   string
	lastUpdated string
}

func (f fabric) data() map[string]any {
	return map[string]any{
		"id": f.id, "url": "/api/plugins/hedgehog/fabrics/" + itoa(f.id) + "/", "display": "fabric-" + itoa(f.id),
		"name": "fabric-" + itoa(f.id), "description": f.description, "gitops_directory": "gitops/hedgehog/fabric-1/",
		"git_repository": map[string]any{"id": 3, "url": "/api/plugins/hedgehog/git-repos-api/3/", "display": "repo", "name": "repo"},
		"custom_fields":  f.customFields(), "last_updated": f.lastUpdated, "tags": []any{},
	}
}

func (f fabric) snapshot() map[string]any {
	return map[string]any{
		"name": "fabric-" + itoa(f.id), "description": f.description, "git_repository": 3,
		"gitops_directory": "gitops/hedgehog/fabric-1/", "custom_fields": f.customFields(),
		"last_updated": f.lastUpdated, "tags": []any{},
	}
}

func (f fabric) customFields() map[string]any {
	return map[string]any{
		"gitops_directory_status": f.status, "directory_init_error": f.initError,
		"last_directory_sync": nil, "gitops_commit_url": nil, "owner": "net-team",
	}
}

// delivery builds the body NetBox of the given form sends when pre becomes
// post (nil pre: created; nil post: deleted).
func delivery(t testing.TB, form nbwire.Form, event, requestID string, pre, post *fabric) []byte {
	t.Helper()
	ev := &netboxhook.Event{
		Event: event, Timestamp: time.Date(2026, 3, 6, 15, 11, 23, 503186000, time.UTC),
		ObjectType: "netbox_hedgehog.hedgehogfabric", Model: "hedgehogfabric",
		Username: "admin", RequestID: requestID, RequestMethod: "PATCH",
	}
	cur := post
	if cur == nil {
		cur = pre
	}
	ev.Data = cur.data()
	ev.RequestPath = "/api/plugins/hedgehog/fabrics/" + itoa(cur.id) + "/"
	if pre != nil {
		ev.Prechange = pre.snapshot()
	}
	if post != nil {
		ev.Postchange = post.snapshot()
	}
	b, err := nbwire.Body(form, ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
