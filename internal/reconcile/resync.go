package reconcile

import (
	"context"
	"fmt"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
)

// Resync lists the fabrics in NetBox, reports their counts by status to the
// metrics, and queues those whose status is not initialized (or, when full,
// every fabric). It returns how many it queued.
//
// The status is filtered here, not by NetBox: a cf_ filter on a select
// field is not supported the same way by every NetBox version, and brief=1
// would drop custom_fields.
func (c *Controller) Resync(ctx context.Context, full bool) (int, error) {
	return c.resync(ctx, full, false)
}

// resync is Resync, with catchUp also queueing the initialized fabrics
// that changed in NetBox since their last sync (catchUp).
func (c *Controller) resync(ctx context.Context, full, catchUp bool) (int, error) {
	fabrics, err := c.o.NetBox.Fabrics(ctx, 0)
	if err != nil {
		return 0, fmt.Errorf("reconcile: resync: %w", err)
	}
	if catchUp && !full {
		c.catchUp(ctx, fabrics)
	}
	// Heals a lost fabric or repository webhook in the pushes' map too.
	c.pushes.forgetAll()
	counts := map[string]int{}
	n := 0
	for i := range fabrics {
		f := &fabrics[i]
		st := status.Status(f.Status[status.FieldStatus])
		if st == "" {
			st = status.NotInitialized
		}
		counts[string(st)]++
		if full || st != status.Initialized {
			reason := "resync"
			if full {
				reason = "full resync"
			}
			c.Enqueue(f.ID, reason)
			n++
		}
	}
	c.o.Metrics.FabricStatuses(counts)
	c.o.Metrics.ResyncEnqueued(n)
	c.o.Metrics.ResyncPassed(c.o.Now())
	return n, nil
}

// RunResync resyncs at once and then every interval (±10% jitter) until
// ctx ends; every fullEvery-th pass after the first is a full one (0: never),
// which picks up files dropped into raw/ on the git host directly. A failed
// pass is logged and the loop goes on. It returns nil when ctx ends.
//
// In a deployment of several replicas it should run on one of them only; see
// docs/reconcile.md.
func (c *Controller) RunResync(ctx context.Context, interval time.Duration, fullEvery int) error {
	if interval <= 0 {
		return fmt.Errorf("reconcile: resync interval must be positive, not %s", interval)
	}
	c.o.Metrics.ResyncInterval(interval)
	for first := true; ; first = false {
		c.mu.Lock()
		pass := c.passes
		c.passes++
		c.mu.Unlock()
		full := (fullEvery > 0 && pass > 0 && pass%fullEvery == 0) || (first && c.o.FullResyncAtStart)
		start := time.Now()
		// The first pass of a run (at start, and on becoming the leader)
		// catches up with what changed while no one was listening.
		n, err := c.resync(ctx, full, first)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.log.Warn("resync failed", "pass", pass, "full", full, "error", redact(err.Error()))
		} else {
			c.log.Info("resync", "pass", pass, "full", full, "queued", n, "duration", time.Since(start).String())
		}
		jitter := 0.9 + 0.2*c.o.Rand()
		t := time.NewTimer(time.Duration(float64(interval) * jitter))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
