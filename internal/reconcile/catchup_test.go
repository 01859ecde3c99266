package reconcile

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/status"
)

// fakeChangeLog answers a fixed change log and records the since asked.
type fakeChangeLog struct {
	mu      sync.Mutex
	changes []fabric.Change
	err     error
	since   []time.Time
}

func (l *fakeChangeLog) Changes(_ context.Context, since time.Time) ([]fabric.Change, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.since = append(l.since, since)
	var out []fabric.Change
	for _, ch := range l.changes {
		if !ch.Time.Before(since) {
			out = append(out, ch)
		}
	}
	return out, l.err
}

// The first pass of a resync run queues the initialized fabrics changed,
// or whose repository changed, after their last sync; the service's own
// status writes, older changes and later passes queue nothing.
func TestCatchUpQueuesWhatChangedAfterTheLastSync(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	log := &fakeChangeLog{changes: []fabric.Change{
		{Kind: fabric.FabricChanged, ID: 1, Time: t0.Add(10 * time.Second)},            // after: queued
		{Kind: fabric.FabricChanged, ID: 4, Time: t0.Add(-10 * time.Minute)},           // before its sync: not
		{Kind: fabric.RepositoryChanged, ID: 7, Time: t0.Add(time.Hour)},               // fabric 3's repository
		{Kind: fabric.FabricChanged, ID: 4, Time: t0.Add(time.Hour), StatusOnly: true}, // the service's own write
		{Kind: fabric.FabricChanged, ID: 6, Time: t0.Add(-30 * time.Second)},           // within the margin
		{Kind: fabric.FabricChanged, ID: 99, Time: t0.Add(time.Hour)},                  // deleted since
		{Kind: fabric.RepositoryChanged, ID: 8, Time: t0.Add(-2 * time.Hour)},          // before every sync
		{Kind: fabric.FabricChanged, ID: 1, Time: t0.Add(20 * time.Second)},            // queued once
	}}
	h := newHarness(t, func(o *Options) { o.ChangeLog = log })
	h.nb.addRepo(7, "https://github.com/o/a")
	h.nb.addRepo(8, "https://github.com/o/b")
	syncedAt := status.FormatTime(t0)
	for id, repo := range map[int64]int64{1: 8, 2: 8, 3: 7, 4: 8, 6: 8} {
		h.nb.addFabric(id, repo, "/", status.Initialized)
		h.nb.setField(id, status.FieldLastSync, syncedAt)
	}
	h.nb.setField(2, status.FieldLastSync, status.FormatTime(t0.Add(-time.Hour))) // the oldest sync
	if _, err := h.c.resync(t.Context(), false, true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{1, 3, 6}, queued(h.c)); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}
	if want := []time.Time{t0.Add(-time.Hour - catchUpMargin)}; !cmp.Equal(want, log.since) {
		t.Errorf("change log read since %v, want %v (the oldest sync less the margin)", log.since, want)
	}
	// A later pass of the run does not read the change log again.
	if _, err := h.c.resync(t.Context(), false, false); err != nil {
		t.Fatal(err)
	}
	if len(log.since) != 1 {
		t.Errorf("change log read %d times", len(log.since))
	}
}

// An unreadable change log leaves the pass as it was: the resync still
// lists and queues, and the error is logged.
func TestCatchUpChangeLogError(t *testing.T) {
	t.Parallel()
	log := &fakeChangeLog{err: errors.New("netbox: GET /api/core/object-changes/: 503")}
	h := newHarness(t, func(o *Options) { o.ChangeLog = log })
	h.nb.addRepo(7, "https://github.com/o/a")
	h.nb.addFabric(1, 7, "/", status.Initialized)
	h.nb.addFabric(2, 7, "/b", status.NotInitialized)
	if _, err := h.c.resync(t.Context(), false, true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{2}, queued(h.c)); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}
}
