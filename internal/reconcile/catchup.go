package reconcile

import (
	"context"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/status"
)

// ChangeLog is the store's change log: what was written at or after since.
// netbox.Fabrics provides it from NetBox's /api/core/object-changes/.
type ChangeLog interface {
	Changes(ctx context.Context, since time.Time) ([]fabric.Change, error)
}

// catchUpMargin widens the comparison of a change with a fabric's last
// sync: last_directory_sync has whole seconds and is stamped after the
// fabric was read, so a change up to this long before it may not be in the
// commit. Such a fabric is reconciled once more (a no-op when it was).
const catchUpMargin = time.Minute

// catchUp queues every initialized fabric that changed in NetBox, or whose
// repository changed, after its last sync, by anyone but the service's own
// status writes: the changes whose webhooks no one received while the
// service was stopped. Fabrics in any other status are queued by the
// resync pass itself. Without a change log, or when it cannot be read,
// the full resync heals later.
func (c *Controller) catchUp(ctx context.Context, fabrics []fabric.Fabric) {
	if c.o.ChangeLog == nil {
		return
	}
	start := time.Now()
	synced, since, ok := lastSyncs(fabrics)
	if !ok {
		return
	}
	changes, err := c.o.ChangeLog.Changes(ctx, since.Add(-catchUpMargin))
	if err != nil {
		if ctx.Err() == nil {
			c.log.Warn("catch-up: reading NetBox's change log failed; the full resync will pick changes up", "error", redact(err.Error()))
		}
		return
	}
	byRepo := map[int64][]int64{}
	for _, f := range fabrics {
		byRepo[f.RepositoryID] = append(byRepo[f.RepositoryID], f.ID)
	}
	queued := map[int64]bool{}
	for _, ch := range changes {
		if ch.StatusOnly {
			continue
		}
		for _, id := range affected(ch, byRepo) {
			last, initialized := synced[id]
			if queued[id] || !initialized || !ch.Time.After(last.Add(-catchUpMargin)) {
				continue
			}
			queued[id] = true
			c.Enqueue(id, "catch-up: changed in NetBox after its last sync")
		}
	}
	c.o.Metrics.ResyncEnqueued(len(queued))
	c.log.Info("catch-up", "since", since.UTC().Format(time.RFC3339), "changes", len(changes),
		"queued", len(queued), "duration", time.Since(start).String())
}

// lastSyncs parses the last sync of every initialized fabric and returns
// them with the oldest; ok is false when no fabric is initialized. An
// initialized fabric without a readable last sync counts from the epoch.
func lastSyncs(fabrics []fabric.Fabric) (synced map[int64]time.Time, oldest time.Time, ok bool) {
	synced = map[int64]time.Time{}
	for _, f := range fabrics {
		if status.Status(f.Status[status.FieldStatus]) != status.Initialized {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.Status[status.FieldLastSync])
		if err != nil {
			t = time.Unix(0, 0)
		}
		synced[f.ID] = t
		if !ok || t.Before(oldest) {
			oldest, ok = t, true
		}
	}
	return synced, oldest, ok
}

// affected lists the fabrics a change concerns: the fabric itself, or the
// fabrics of the repository.
func affected(ch fabric.Change, byRepo map[int64][]int64) []int64 {
	switch ch.Kind {
	case fabric.FabricChanged:
		return []int64{ch.ID}
	case fabric.RepositoryChanged:
		return byRepo[ch.ID]
	}
	return nil
}
