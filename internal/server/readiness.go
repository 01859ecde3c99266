package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Readiness answers /readyz (Options.Ready): not ready while draining, or
// while Probe fails (the service's dependency does not answer). A probe's
// answer is kept for TTL so that frequent /readyz calls do not load the
// dependency.
type Readiness struct {
	Probe func(ctx context.Context) error
	What  string // the dependency Probe checks, for the reason
	TTL   time.Duration

	draining atomic.Bool

	mu      sync.Mutex
	checked time.Time
	last    error
}

// Drain makes Check fail from now on: the process is shutting down.
func (r *Readiness) Drain() { r.draining.Store(true) }

// Check is nil when the service can take work.
func (r *Readiness) Check(ctx context.Context) error {
	if r.draining.Load() {
		return errors.New("shutting down")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) < r.TTL {
		return r.last
	}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	err := r.Probe(cctx)
	r.checked, r.last = time.Now(), nil
	if err != nil {
		r.last = fmt.Errorf("%s unreachable: %w", r.What, err)
	}
	return r.last
}

// DrainAfter returns a context that ends period after ctx does (or when
// stop is called); from ctx's end on, ready reports not ready.
func DrainAfter(ctx context.Context, period time.Duration, ready *Readiness, log *slog.Logger) (intake context.Context, stop func()) {
	intake, stop = context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer stop()
		select {
		case <-ctx.Done():
		case <-intake.Done():
			return
		}
		ready.Drain()
		if period <= 0 {
			return
		}
		log.Info("draining: not ready, still accepting webhooks", "drain_period", period.String())
		t := time.NewTimer(period)
		defer t.Stop()
		select {
		case <-t.C:
		case <-intake.Done():
		}
	}()
	return intake, stop
}
