package reconcile

import (
	"context"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func fixedBackoff(d time.Duration) func(int, time.Duration) time.Duration {
	return func(_ int, after time.Duration) time.Duration { return max(d, after) }
}

// nextWithin returns the next task, or nil when none came within d.
func nextWithin(q *queue, d time.Duration) *task {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return q.next(ctx)
}

func TestQueueDedup(t *testing.T) {
	t.Parallel()
	q := newQueue(0, 0, fixedBackoff(time.Hour))
	q.add(1, "webhook", "r1")
	q.add(1, "webhook", "r2")
	q.add(2, "resync", "")
	q.add(1, "resync", "")
	if got := q.Len(); got != 2 {
		t.Fatalf("Len = %d, want 2", got)
	}
	first := nextWithin(q, time.Second)
	second := nextWithin(q, time.Second)
	if first == nil || second == nil || first.id != 1 || second.id != 2 {
		t.Fatalf("tasks = %+v, %+v; want keys 1 then 2", first, second)
	}
	if got, want := first.item.requests, []string{"r1", "r2"}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("request ids of key 1 = %v, want %v", got, want)
	}
	if third := nextWithin(q, 20*time.Millisecond); third != nil {
		t.Fatalf("a deduplicated key ran twice: %+v", third)
	}
	if q.Len() != 0 {
		t.Errorf("Len = %d after taking both, want 0", q.Len())
	}
}

func TestQueueReAddWhileInFlightRunsOnceMore(t *testing.T) {
	t.Parallel()
	q := newQueue(0, 0, fixedBackoff(time.Hour))
	q.add(7, "webhook", "")
	tk := nextWithin(q, time.Second)
	if tk == nil || tk.id != 7 {
		t.Fatalf("task = %+v, want key 7", tk)
	}
	for range 3 {
		q.add(7, "webhook", "again")
	}
	if q.Len() != 0 {
		t.Fatalf("Len = %d while in flight, want 0 (in flight is not waiting)", q.Len())
	}
	if again := nextWithin(q, 20*time.Millisecond); again != nil {
		t.Fatalf("key ran while still in flight: %+v", again)
	}
	q.done(7, verdict{success: true})
	again := nextWithin(q, time.Second)
	if again == nil || again.id != 7 {
		t.Fatalf("task after done = %+v, want key 7 once more", again)
	}
	if len(again.item.requests) != 1 || again.item.requests[0] != "again" {
		t.Errorf("request ids of the rerun = %v, want [again]", again.item.requests)
	}
	q.done(7, verdict{success: true})
	if extra := nextWithin(q, 20*time.Millisecond); extra != nil {
		t.Fatalf("key ran a third time: %+v", extra)
	}
	if len(q.items) != 0 {
		t.Errorf("queue still remembers %d keys", len(q.items))
	}
}

func TestQueueRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	q := newQueue(0, 0, fixedBackoff(time.Millisecond))
	q.add(1, "webhook", "")
	nextWithin(q, time.Second)
	start := time.Now()
	q.done(1, verdict{retry: true, retryAfter: 80 * time.Millisecond})
	// A new trigger does not cut a wait the error asked for short.
	q.add(1, "webhook", "")
	tk := nextWithin(q, 2*time.Second)
	if tk == nil || tk.id != 1 {
		t.Fatalf("task = %+v, want key 1 again", tk)
	}
	if waited := time.Since(start); waited < 80*time.Millisecond {
		t.Errorf("retried after %s, want at least the 80ms RetryAfter", waited)
	}
}

func TestQueueBackoffCutShortByNewTrigger(t *testing.T) {
	t.Parallel()
	q := newQueue(0, 0, fixedBackoff(time.Hour))
	q.add(1, "webhook", "")
	nextWithin(q, time.Second)
	q.done(1, verdict{retry: true})
	if tk := nextWithin(q, 20*time.Millisecond); tk != nil {
		t.Fatalf("ran during its backoff: %+v", tk)
	}
	if q.Len() != 1 || q.OldestAge() <= 0 {
		t.Errorf("Len, OldestAge = %d, %s; want the key counted as waiting", q.Len(), q.OldestAge())
	}
	q.add(1, "user set not_initialized", "")
	if tk := nextWithin(q, time.Second); tk == nil || tk.id != 1 {
		t.Fatalf("task = %+v, want key 1 at once after a new trigger", tk)
	}
}

func TestQueueTerminalNotRetried(t *testing.T) {
	t.Parallel()
	q := newQueue(0, 0, fixedBackoff(time.Millisecond))
	q.add(1, "webhook", "")
	nextWithin(q, time.Second)
	q.done(1, verdict{})
	if tk := nextWithin(q, 30*time.Millisecond); tk != nil {
		t.Fatalf("a terminal failure ran again: %+v", tk)
	}
}

func TestQueueBatchesOneGroupAndSeparatesDirectories(t *testing.T) {
	t.Parallel()
	q := newQueue(30*time.Millisecond, 0, fixedBackoff(time.Hour))
	target := gitport.Target{Repo: gitport.Repo{Host: "github.com", Owner: "o", Name: "r"}, Branch: "main"}
	start := time.Now()
	for i, dir := range []string{"a", "b", "a"} {
		j := &job{id: int64(i + 1), target: target, dir: dir}
		q.park(j.groupKey(), j)
	}
	tk := nextWithin(q, time.Second)
	if tk == nil || tk.group == nil {
		t.Fatalf("task = %+v, want a batch", tk)
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Errorf("batch taken after %s, before its 30ms window closed", time.Since(start))
	}
	if len(tk.batch) != 2 || tk.batch[0].id != 1 || tk.batch[1].id != 2 {
		t.Fatalf("batch = %v, want fabrics 1 and 2 (3 shares a directory with 1)", ids(tk.batch))
	}
	// The group has one writer: the rest waits until the batch is released.
	if tk2 := nextWithin(q, 50*time.Millisecond); tk2 != nil {
		t.Fatalf("second batch of the same group while the first is written: %+v", ids(tk2.batch))
	}
	q.release(tk.group, 0)
	tk2 := nextWithin(q, time.Second)
	if tk2 == nil || len(tk2.batch) != 1 || tk2.batch[0].id != 3 {
		t.Fatalf("second batch = %+v, want fabric 3", tk2)
	}
	q.release(tk2.group, 0)
	if len(q.groups) != 0 {
		t.Errorf("%d groups left after all batches", len(q.groups))
	}
}

func TestQueueRateLimitHoldsTheRepository(t *testing.T) {
	t.Parallel()
	q := newQueue(0, 0, fixedBackoff(time.Hour))
	target := gitport.Target{Repo: gitport.Repo{Host: "github.com", Owner: "o", Name: "r"}, Branch: "main"}
	j1 := &job{id: 1, target: target}
	q.park(j1.groupKey(), j1)
	tk := nextWithin(q, time.Second)
	j2 := &job{id: 2, target: target, dir: "other"}
	q.park(j2.groupKey(), j2)
	start := time.Now()
	q.release(tk.group, 80*time.Millisecond)
	tk2 := nextWithin(q, 2*time.Second)
	if tk2 == nil || len(tk2.batch) != 1 || tk2.batch[0].id != 2 {
		t.Fatalf("task = %+v, want the batch of fabric 2", tk2)
	}
	if waited := time.Since(start); waited < 80*time.Millisecond {
		t.Errorf("next batch of a rate-limited repository after %s, want at least 80ms", waited)
	}
	q.release(tk2.group, 0)
}

func ids(batch []*job) []int64 {
	out := make([]int64, 0, len(batch))
	for _, j := range batch {
		out = append(out, j.id)
	}
	return out
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		rand       float64
		failures   int
		retryAfter time.Duration
		min, max   time.Duration
	}{
		{name: "first retry, low jitter", rand: 0, failures: 1, min: 50 * time.Millisecond, max: 50 * time.Millisecond},
		{name: "first retry, high jitter", rand: 0.999, failures: 1, min: 99 * time.Millisecond, max: 100 * time.Millisecond},
		{name: "doubles", rand: 0, failures: 3, min: 200 * time.Millisecond, max: 200 * time.Millisecond},
		{name: "capped", rand: 0.999, failures: 40, min: 990 * time.Millisecond, max: time.Second},
		{name: "retry-after wins when longer", rand: 0, failures: 1, retryAfter: 3 * time.Second, min: 3 * time.Second, max: 3 * time.Second},
		{name: "retry-after shorter than backoff", rand: 0, failures: 3, retryAfter: time.Millisecond, min: 200 * time.Millisecond, max: 200 * time.Millisecond},
		{name: "absurd retry-after capped", rand: 0, failures: 1, retryAfter: 100 * time.Hour, min: MaxRetryAfter, max: MaxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(o *Options) {
				o.RetryBase = 100 * time.Millisecond
				o.RetryMax = time.Second
				o.Rand = func() float64 { return tt.rand }
			})
			got := h.c.backoff(tt.failures, tt.retryAfter)
			if got < tt.min || got > tt.max {
				t.Errorf("backoff(%d, %s) = %s, want within [%s, %s]", tt.failures, tt.retryAfter, got, tt.min, tt.max)
			}
		})
	}
}

func TestRequestSetIsBounded(t *testing.T) {
	t.Parallel()
	s := newRequestSet(3)
	for _, id := range []string{"a", "b", "c", "d"} {
		s.add(id)
	}
	for id, want := range map[string]bool{"a": false, "b": true, "c": true, "d": true, "": false, "x": false} {
		if got := s.has(id); got != want {
			t.Errorf("has(%q) = %v, want %v", id, got, want)
		}
	}
}
