package reconcile

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// itemState is where a fabric key is in the queue.
type itemState int

const (
	stateReady    itemState = iota // waiting to be resolved, in q.ready
	stateDelayed                   // waiting for notBefore (backoff), in q.delayed
	stateInFlight                  // taken by a worker: resolving, waiting in a group, or being written
)

// item is the queue's record of one fabric key.
type item struct {
	id        int64
	state     itemState
	added     time.Time // when it started waiting, for OldestAge
	notBefore time.Time // stateDelayed only
	// hold marks a delay the error asked for (a rate limit's RetryAfter): a
	// new Enqueue does not cut it short.
	hold bool
	// dirty marks a key enqueued again while in flight: it runs exactly once
	// more afterwards.
	dirty    bool
	failures int      // consecutive retryable failures, for the backoff
	requests []string // NetBox request ids of the triggers since the last run
	reasons  []string // why it was queued since the last run (for logs)
}

// job is a resolved fabric on its way to a writer: its NetBox objects and
// where it lands.
type job struct {
	id       int64
	fabric   *fabric.Fabric
	repo     *fabric.Repository
	target   gitport.Target
	dir      string   // the FGD path in the repository, "" = root
	requests []string // NetBox request ids of the triggers
	reasons  []string
	taken    time.Time // when the key left the queue, for durations
}

// groupKey names the repository and branch whose fabrics land in one
// commit. It is not a lock key: the writer lock takes Target.WriterKey,
// which is the same string unless pull-request mode is on.
func (j *job) groupKey() string { return repoKey(j.target) }

func repoKey(t gitport.Target) string { return t.Repo.String() + "@" + t.Branch }

// group gathers the resolved jobs of one repository and branch so that they
// become one commit. At most one batch of a group is written at a time.
type group struct {
	key     string
	pending []*job
	readyAt time.Time // when the batch window of pending closes
	active  bool      // a worker is writing a batch of this group
	// holdUntil keeps the group's batches back after a rate limit.
	holdUntil time.Time
}

// task is one unit of work handed to a worker: resolve a key, or write a
// batch of a group.
type task struct {
	id    int64  // resolve: the fabric key
	group *group // write: the group, with batch taken out of pending
	batch []*job
	item  *item // resolve: the item, for its request ids
}

// queue is the keyed work queue and the per-repository batcher. All its
// state is guarded by mu; workers block in next until there is work.
type queue struct {
	mu      sync.Mutex
	wake    chan struct{} // closed and replaced on every change, to wake all waiters
	items   map[int64]*item
	ready   []int64 // FIFO of keys in stateReady
	delayed map[int64]*item
	groups  map[string]*group
	stopped bool

	window   time.Duration
	backoff  func(failures int, retryAfter time.Duration) time.Duration
	maxBatch int
}

func newQueue(window time.Duration, maxBatch int, backoff func(int, time.Duration) time.Duration) *queue {
	return &queue{
		wake:     make(chan struct{}),
		items:    map[int64]*item{},
		delayed:  map[int64]*item{},
		groups:   map[string]*group{},
		window:   window,
		backoff:  backoff,
		maxBatch: maxBatch,
	}
}

// signal wakes every waiter. Callers hold mu.
func (q *queue) signal() {
	close(q.wake)
	q.wake = make(chan struct{})
}

const maxRequestIDs = 16 // request ids remembered per key between runs

func appendBounded(list []string, v string) []string {
	if v == "" {
		return list
	}
	for _, s := range list {
		if s == v {
			return list
		}
	}
	if len(list) >= maxRequestIDs {
		list = list[1:]
	}
	return append(list, v)
}

// add queues a key. A key already waiting is not queued twice; a key in
// flight is marked to run once more; a key in backoff runs now unless the
// delay was asked for by the error (rate limit).
func (q *queue) add(id int64, reason, requestID string) {
	now := time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return
	}
	it, ok := q.items[id]
	if !ok {
		it = &item{id: id, state: stateReady, added: now}
		q.items[id] = it
		q.ready = append(q.ready, id)
		q.signal()
	}
	it.requests = appendBounded(it.requests, requestID)
	it.reasons = appendBounded(it.reasons, reason)
	switch it.state {
	case stateInFlight:
		it.dirty = true
	case stateDelayed:
		if !it.hold {
			delete(q.delayed, id)
			it.state = stateReady
			q.ready = append(q.ready, id)
			q.signal()
		}
	}
}

// next blocks until there is a task or ctx ends (then it returns nil). A
// group whose batch window has closed is written before new keys are
// resolved, so that a batch is not held up by a long queue.
func (q *queue) next(ctx context.Context) *task {
	for {
		q.mu.Lock()
		if q.stopped || ctx.Err() != nil {
			q.mu.Unlock()
			return nil
		}
		now := time.Now()
		var wakeAt time.Time
		earlier := func(t time.Time) {
			if wakeAt.IsZero() || t.Before(wakeAt) {
				wakeAt = t
			}
		}
		for id, it := range q.delayed {
			if !it.notBefore.After(now) {
				delete(q.delayed, id)
				it.state = stateReady
				it.hold = false
				q.ready = append(q.ready, id)
			} else {
				earlier(it.notBefore)
			}
		}
		if t := q.takeBatch(now, earlier); t != nil {
			q.mu.Unlock()
			return t
		}
		if len(q.ready) > 0 {
			id := q.ready[0]
			q.ready = q.ready[1:]
			it := q.items[id]
			it.state = stateInFlight
			it.dirty = false
			t := &task{id: id, item: &item{requests: it.requests, reasons: it.reasons}}
			it.requests, it.reasons = nil, nil
			q.mu.Unlock()
			return t
		}
		wake := q.wake
		q.mu.Unlock()

		var timer *time.Timer
		var fire <-chan time.Time
		if !wakeAt.IsZero() {
			timer = time.NewTimer(time.Until(wakeAt))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// takeBatch returns a write task for the group whose window closed first,
// or nil. Two fabrics with the same directory never share a batch. Callers
// hold mu.
func (q *queue) takeBatch(now time.Time, earlier func(time.Time)) *task {
	var best *group
	for _, g := range q.groups {
		if g.active || len(g.pending) == 0 {
			continue
		}
		if at := later(g.readyAt, g.holdUntil); at.After(now) {
			earlier(at)
			continue
		}
		if best == nil || g.readyAt.Before(best.readyAt) {
			best = g
		}
	}
	if best == nil {
		return nil
	}
	var batch, rest []*job
	dirs := map[string]bool{}
	for _, j := range best.pending {
		if dirs[j.dir] || (q.maxBatch > 0 && len(batch) >= q.maxBatch) {
			rest = append(rest, j)
			continue
		}
		dirs[j.dir] = true
		batch = append(batch, j)
	}
	best.pending = rest
	best.active = true
	sort.Slice(batch, func(a, b int) bool { return batch[a].id < batch[b].id })
	return &task{group: best, batch: batch}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// park puts a resolved job into its group; the group's batch window starts
// with its first pending job.
func (q *queue) park(key string, j *job) {
	q.mu.Lock()
	defer q.mu.Unlock()
	g := q.groups[key]
	if g == nil {
		g = &group{key: key}
		q.groups[key] = g
	}
	if len(g.pending) == 0 {
		g.readyAt = time.Now().Add(q.window)
	}
	g.pending = append(g.pending, j)
	q.signal()
}

// parkListed parks jobs a resync built from its lists, all of group key,
// as keys taken at once: each becomes in flight without a resolve task. A
// key the queue already knows is not parked (its run, or the one it is
// marked for, reads it fresh) and is returned, for the ordinary path. The
// whole group arrives together, so its batch window starts closed. After
// stop, nothing is parked and nothing returned.
func (q *queue) parkListed(key string, jobs []*job) (known []*job) {
	now := time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return nil
	}
	g := q.groups[key]
	if g == nil {
		g = &group{key: key}
		q.groups[key] = g
	}
	parked := 0
	for _, j := range jobs {
		if _, ok := q.items[j.id]; ok {
			known = append(known, j)
			continue
		}
		q.items[j.id] = &item{id: j.id, state: stateInFlight, added: now}
		if len(g.pending) == 0 {
			g.readyAt = now
		}
		g.pending = append(g.pending, j)
		parked++
	}
	if parked > 0 {
		q.signal()
	} else if len(g.pending) == 0 && !g.active && !g.holdUntil.After(now) {
		delete(q.groups, key)
	}
	return known
}

// release ends the write of a group's batch; hold keeps its next batch
// back for that long (a rate limit). A group with nothing pending and no
// hold is forgotten.
func (q *queue) release(g *group, hold time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	g.active = false
	if hold > 0 {
		g.holdUntil = time.Now().Add(hold)
	}
	if len(g.pending) == 0 && !g.holdUntil.After(time.Now()) {
		delete(q.groups, g.key)
	}
	q.signal()
}

// verdict is what became of one run of a key.
type verdict struct {
	retry      bool
	retryAfter time.Duration
	success    bool
}

// done ends a run of a key: a retryable failure comes back after its
// backoff; anything else is forgotten, unless the key was added while in
// flight, in which case it is queued once more now.
func (q *queue) done(id int64, v verdict) {
	now := time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	it := q.items[id]
	if it == nil || it.state != stateInFlight {
		return
	}
	if q.stopped {
		delete(q.items, id)
		return
	}
	switch {
	case v.retry:
		it.failures++
		it.state = stateDelayed
		it.added = now
		it.notBefore = now.Add(q.backoff(it.failures, v.retryAfter))
		it.hold = v.retryAfter > 0
		it.dirty = false
		q.delayed[id] = it
	case it.dirty:
		if v.success {
			it.failures = 0
		}
		it.dirty = false
		it.state = stateReady
		it.added = now
		q.ready = append(q.ready, id)
	default:
		delete(q.items, id)
	}
	q.signal()
}

// stop makes next return nil from now on and drops waiting keys; keys in
// flight finish.
func (q *queue) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	for id, it := range q.items {
		if it.state != stateInFlight {
			delete(q.items, id)
		}
	}
	q.ready = nil
	q.delayed = map[int64]*item{}
	q.signal()
}

// pendingJobs takes out the jobs that were resolved but not yet written,
// so that shutdown can end their keys.
func (q *queue) pendingJobs() []*job {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*job
	for _, g := range q.groups {
		out = append(out, g.pending...)
		g.pending = nil
	}
	return out
}

// Len is the number of keys waiting: to be resolved, in backoff, or
// resolved and waiting in their group for a writer (a resync parks a whole
// pass there). Keys being resolved or written are not counted.
func (q *queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.ready) + len(q.delayed)
	for _, g := range q.groups {
		n += len(g.pending)
	}
	return n
}

// OldestAge is how long the oldest waiting key has waited.
func (q *queue) OldestAge() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	var oldest time.Time
	older := func(t time.Time) {
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	for _, it := range q.items {
		if it.state != stateInFlight {
			older(it.added)
		}
	}
	for _, g := range q.groups {
		for _, j := range g.pending {
			if it := q.items[j.id]; it != nil {
				older(it.added)
			}
		}
	}
	if oldest.IsZero() {
		return 0
	}
	return time.Since(oldest)
}
