package reconcile

import (
	"context"
	"sort"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/githedgehog/hnp-gitops/internal/metrics"
	"github.com/githedgehog/hnp-gitops/internal/status"
)

// queued lists the keys waiting in the queue.
func queued(c *Controller) []int64 {
	c.q.mu.Lock()
	defer c.q.mu.Unlock()
	var out []int64
	for id, it := range c.q.items {
		if it.state != stateInFlight {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}

func gauge(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			if matches(mt, labels) {
				if mt.GetGauge() != nil {
					return mt.GetGauge().GetValue()
				}
				return mt.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no series %s %v", name, labels)
	return 0
}

func matches(m *dto.Metric, labels map[string]string) bool {
	for _, lp := range m.GetLabel() {
		if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
			return false
		}
	}
	return true
}

func TestResyncQueuesFabricsNotInitialized(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		full bool
		want []int64
	}{
		{name: "partial", full: false, want: []int64{1, 3, 4, 5}},
		{name: "full", full: true, want: []int64{1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := metrics.New(metrics.BuildInfo{})
			h := newHarness(t, func(o *Options) { o.Metrics = m })
			h.nb.addFabric(1, 1, "/", "")
			h.nb.addFabric(2, 1, "/", status.Initialized)
			h.nb.addFabric(3, 1, "/", status.Error)
			h.nb.addFabric(4, 1, "/", status.NotInitialized)
			h.nb.addFabric(5, 1, "/", status.Initializing)
			n, err := h.c.Resync(context.Background(), tt.full)
			if err != nil {
				t.Fatal(err)
			}
			got := queued(h.c)
			if n != len(tt.want) || len(got) != len(tt.want) {
				t.Fatalf("queued %d: %v, want %v", n, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("queued %v, want %v", got, tt.want)
				}
			}
			for st, want := range map[string]float64{"not_initialized": 2, "initialized": 1, "error": 1, "initializing": 1, "invalid_structure": 0} {
				if v := gauge(t, m, "hnp_gitops_fabrics", map[string]string{"status": st}); v != want {
					t.Errorf("fabrics{status=%s} = %v, want %v", st, v, want)
				}
			}
			if v := gauge(t, m, "hnp_gitops_resync_enqueued_total", nil); v != float64(len(tt.want)) {
				t.Errorf("resync_enqueued_total = %v, want %d", v, len(tt.want))
			}
		})
	}
}

// The loop resyncs at once, then every interval; every Nth pass is full.
func TestRunResyncEveryNthPassIsFull(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.BuildInfo{})
	h := newHarness(t, func(o *Options) {
		o.Rand = func() float64 { return 0.5 }
		o.Metrics = m
	})
	h.nb.listGate = make(chan struct{})
	h.nb.addFabric(1, 1, "/", status.Initialized)
	h.nb.addFabric(2, 1, "/", status.Error)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.c.RunResync(ctx, 5*time.Millisecond, 3) }()

	// Let one pass through at a time and see what it queued: the metric
	// counts a pass's fabrics when the pass ends.
	total := 0.0
	for pass, want := range []int{1, 1, 1, 2, 1, 1, 2} {
		h.nb.listGate <- struct{}{}
		total += float64(want)
		waitFor(t, "the end of a pass", func() bool {
			return gauge(t, m, "hnp_gitops_resync_enqueued_total", nil) >= total
		})
		if got := gauge(t, m, "hnp_gitops_resync_enqueued_total", nil); got != total {
			t.Fatalf("after pass %d: %v fabrics queued in all, want %v", pass, got, total)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunResync: %v", err)
	}
	if err := h.c.RunResync(context.Background(), 0, 1); err == nil {
		t.Error("RunResync with interval 0 did not fail")
	}
}

// A user who sets not_initialized on an initialized fabric gets a fresh
// run through the webhook that follows.
func TestNotInitializedTriggersRun(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.BuildInfo{})
	h := newHarness(t, func(o *Options) { o.Metrics = m })
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addFabric(10, 1, "/", "")
	h.run(t)
	h.c.Enqueue(10, "webhook created")
	h.outcomeFor(t, 10, func(o Outcome) bool { return o.Result == ResultCommitted })
	before := len(h.nb.patchList())
	h.repo.put(repoA, "raw/new.yaml", "kind: VPC\n")
	h.nb.setField(10, status.FieldStatus, "not_initialized")
	h.c.Enqueue(10, "webhook updated")
	waitFor(t, "the fresh run", func() bool {
		st, _ := h.nb.statusOf(10)
		return st == "initialized" && len(h.nb.patchList()) == before+2
	})
	if h.repo.commitCount(repoA) != 2 {
		t.Errorf("commits = %d, want 2 (the new raw file ingested)", h.repo.commitCount(repoA))
	}
	if v := gauge(t, m, "hnp_gitops_reconciles_total", map[string]string{"result": "committed"}); v != 2 {
		t.Errorf("reconciles_total{committed} = %v, want 2", v)
	}
	if v := gauge(t, m, "hnp_gitops_commits_total", nil); v != 2 {
		t.Errorf("commits_total = %v, want 2", v)
	}
	if v := gauge(t, m, "hnp_gitops_documents_placed_total", map[string]string{"placement": "managed"}); v != 1 {
		t.Errorf("documents_placed_total{managed} = %v, want 1", v)
	}
	if v := gauge(t, m, "hnp_gitops_status_writes_total", nil); v != 4 {
		t.Errorf("status_writes_total = %v, want 4", v)
	}
}

// With FullResyncAtStart (git webhooks on), the first pass of a run is a
// full one; the later ones follow fullEvery.
func TestRunResyncFullAtStart(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.BuildInfo{})
	h := newHarness(t, func(o *Options) {
		o.Rand = func() float64 { return 0.5 }
		o.Metrics = m
		o.FullResyncAtStart = true
	})
	h.nb.listGate = make(chan struct{})
	h.nb.addFabric(1, 1, "/", status.Initialized)
	h.nb.addFabric(2, 1, "/", status.Error)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.c.RunResync(ctx, 5*time.Millisecond, 3) }()
	total := 0.0
	for pass, want := range []int{2, 1, 1, 2} {
		h.nb.listGate <- struct{}{}
		total += float64(want)
		waitFor(t, "the end of a pass", func() bool {
			return gauge(t, m, "hnp_gitops_resync_enqueued_total", nil) >= total
		})
		if got := gauge(t, m, "hnp_gitops_resync_enqueued_total", nil); got != total {
			t.Fatalf("after pass %d: %v fabrics queued in all, want %v", pass, got, total)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunResync: %v", err)
	}
}
