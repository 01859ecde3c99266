package reconcile

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/metrics"
)

// FabricReader reads the objects a reconcile starts from.
type FabricReader interface {
	Fabric(ctx context.Context, id int64) (fabric.Fabric, error)
	Repository(ctx context.Context, id int64) (fabric.Repository, error)
}

// StatusWriter writes a fabric's status custom fields in one write and
// returns the request id the store gave it.
type StatusWriter interface {
	WriteStatus(ctx context.Context, id int64, fields map[string]string) (requestID string, err error)
}

// FabricLister lists fabrics, all of them (repositoryID 0) or those of one
// repository, for the resync and a repository's change.
type FabricLister interface {
	Fabrics(ctx context.Context, repositoryID int64) ([]fabric.Fabric, error)
}

// NetBox is everything the controller needs of the fabric store; the
// NetBox adapter netbox.Fabrics provides it. Its errors match fabric's
// kinds (fabric.ErrNotFound...).
type NetBox interface {
	FabricReader
	StatusWriter
	FabricLister
}

// Repository lands one commit on a repository and branch: the repository
// port (gitport.Repository), provided by the githubapi and gitremote
// adapters through gitport.Router.
type Repository = gitport.Repository

// Defaults of Options.
const (
	DefaultWorkers      = 4
	DefaultBatchWindow  = 250 * time.Millisecond
	DefaultRetryBase    = time.Second
	DefaultRetryMax     = 5 * time.Minute
	DefaultDrainTimeout = 20 * time.Second
	// DefaultMaxBatch bounds the fabrics of one commit, so that one
	// commit's reads and message stay reasonable.
	DefaultMaxBatch = 100
	// MaxRetryAfter caps a wait an error asks for, against a bogus header.
	MaxRetryAfter = time.Hour
	// ownRequestsSize is how many of its own NetBox request ids the
	// controller remembers.
	ownRequestsSize = 4096
)

// Options configure a Controller. NetBox and Repository are required; the
// rest have defaults.
type Options struct {
	NetBox     NetBox
	Repository Repository
	// ChangeLog lets the first resync pass of a run catch up with the
	// changes made while no one listened; nil: no catch-up.
	ChangeLog ChangeLog
	// Journal receives one entry per reconcile that changes something or
	// fails (journal.go); nil: no journal.
	Journal Journal
	Engine  Engine // default FGD{}
	// ParseURL turns a GitRepository URL into a repository name; default
	// gitport.ParseURL.
	ParseURL func(raw string) (gitport.Repo, error)

	Metrics *metrics.Metrics // nil: record nothing
	Logger  *slog.Logger     // nil: discard

	Workers     int           // reconcile workers; default DefaultWorkers
	BatchWindow time.Duration // how long a repository's batch gathers; 0 = DefaultBatchWindow, negative = none
	MaxBatch    int           // fabrics per commit; default DefaultMaxBatch
	RetryBase   time.Duration // first retry delay; default DefaultRetryBase
	RetryMax    time.Duration // longest retry delay; default DefaultRetryMax
	// DrainTimeout bounds how long Run waits for in-flight reconciles after
	// its context ends; default DefaultDrainTimeout.
	DrainTimeout time.Duration

	DefaultArchiveStrategy string // "delete" or "rename_with_extension"
	CreateMissingBranch    bool
	PullRequestBranch      string
	// FullResyncAtStart makes the first resync pass of a run a full one
	// (set with git webhooks on: pushes made while no one listened are
	// found at once rather than at the next, rare, full pass).
	FullResyncAtStart bool

	Now  func() time.Time // timestamps written to NetBox; default time.Now
	Rand func() float64   // jitter in [0,1); default math/rand/v2
}

// Controller is the work queue, the reconciler and the resync loop.
type Controller struct {
	o      Options
	log    *slog.Logger
	q      *queue
	own    *requestSet
	locks  gitport.KeyedMutex // one writer per repository and branch, also for ReconcileNow
	repos  *repoFanout        // repository changes waiting for their fabrics
	pushes *pushIndex         // git pushes waiting, and the fabrics by repository

	started atomic.Bool // Run was called

	mu      sync.Mutex
	results map[int64]Outcome
	prs     map[string]string // last pull-request URL per repository key
	passes  int               // resync passes so far
}

// Errors of New.
var (
	ErrNoNetBox     = errors.New("reconcile: Options.NetBox is required")
	ErrNoRepository = errors.New("reconcile: Options.Repository is required")
	// ErrStarted is returned by a second call of Run: the queue of a
	// Controller stops for good when Run returns.
	ErrStarted = errors.New("reconcile: Run was already called")
)

// New returns a Controller. It starts nothing: Run starts the workers and
// RunResync the resync loop.
func New(o Options) (*Controller, error) {
	switch {
	case o.NetBox == nil:
		return nil, ErrNoNetBox
	case o.Repository == nil:
		return nil, ErrNoRepository
	}
	if o.ParseURL == nil {
		o.ParseURL = gitport.ParseURL
	}
	if o.Engine == nil {
		o.Engine = FGD{}
	}
	if o.Workers < 1 {
		o.Workers = DefaultWorkers
	}
	switch {
	case o.BatchWindow == 0:
		o.BatchWindow = DefaultBatchWindow
	case o.BatchWindow < 0:
		o.BatchWindow = 0
	}
	if o.MaxBatch < 1 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	if o.RetryMax < o.RetryBase {
		o.RetryMax = o.RetryBase
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	if o.DefaultArchiveStrategy == "" {
		o.DefaultArchiveStrategy = "delete"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	} else {
		// A caller's source need not be safe for concurrent use.
		var mu sync.Mutex
		r := o.Rand
		o.Rand = func() float64 { mu.Lock(); defer mu.Unlock(); return r() }
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := &Controller{
		o:       o,
		log:     log,
		own:     newRequestSet(ownRequestsSize),
		repos:   newRepoFanout(),
		pushes:  newPushIndex(),
		results: map[int64]Outcome{},
		prs:     map[string]string{},
	}
	c.q = newQueue(o.BatchWindow, o.MaxBatch, c.backoff)
	return c, nil
}

// backoff is the delay before retry number failures (1-based): exponential
// from RetryBase up to RetryMax, with jitter in its upper half, and never
// shorter than what the error asked for.
func (c *Controller) backoff(failures int, retryAfter time.Duration) time.Duration {
	d := c.o.RetryBase
	for i := 1; i < failures && d < c.o.RetryMax; i++ {
		d *= 2
	}
	d = min(d, c.o.RetryMax)
	d = d/2 + time.Duration(c.o.Rand()*float64(d/2))
	return max(d, min(retryAfter, MaxRetryAfter))
}

// Enqueue asks for a reconcile of a fabric. It never blocks: a fabric
// already waiting is not queued twice, and one in flight runs once more
// when it is done.
func (c *Controller) Enqueue(fabricID int64, reason string) {
	c.q.add(fabricID, reason, "")
}

// EnqueueRequest is Enqueue for a trigger that carried a NetBox request
// id; the id goes into the commit's NetBox-Request-ID trailer.
func (c *Controller) EnqueueRequest(fabricID int64, reason, requestID string) {
	// A fabric's change (its repository, its directory) may move it to
	// other pushes.
	c.pushes.invalidate()
	c.q.add(fabricID, reason, requestID)
}

// IsOwnRequest reports whether requestID is the id of one of the
// controller's own status writes (so its webhook is an echo to ignore).
func (c *Controller) IsOwnRequest(requestID string) bool { return c.own.has(requestID) }

// Result returns the last Outcome of a fabric, for the API.
func (c *Controller) Result(fabricID int64) (any, bool) {
	o, ok := c.LastOutcome(fabricID)
	if !ok {
		return nil, false
	}
	return o, true
}

// LastOutcome is Result with its type.
func (c *Controller) LastOutcome(fabricID int64) (Outcome, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.results[fabricID]
	return o, ok
}

// Len is the number of fabrics waiting (in backoff included).
func (c *Controller) Len() int { return c.q.Len() }

// OldestAge is how long the oldest waiting fabric has waited.
func (c *Controller) OldestAge() time.Duration { return c.q.OldestAge() }

// Run runs the workers until ctx ends. Then it stops taking work, lets the
// reconciles in flight finish for at most DrainTimeout (after which their
// context is cancelled), and returns nil. Waiting fabrics are dropped: the
// resync finds them again. Run may be called once.
func (c *Controller) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var wg sync.WaitGroup
	repoDone, pushDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(repoDone); c.runRepositories(ctx) }()
	go func() { defer close(pushDone); c.runPushes(ctx) }()
	for range c.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t := c.q.next(ctx)
				if t == nil {
					return
				}
				c.process(workCtx, t)
			}
		}()
	}
	<-ctx.Done()
	<-repoDone
	<-pushDone
	c.q.stop()
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	timer := time.NewTimer(c.o.DrainTimeout)
	defer timer.Stop()
	select {
	case <-drained:
	case <-timer.C:
		c.log.Warn("reconcile: drain timeout, cancelling in-flight reconciles", "timeout", c.o.DrainTimeout.String())
		cancelWork()
		<-drained
	}
	for _, j := range c.q.pendingJobs() {
		c.q.done(j.id, verdict{})
	}
	return nil
}

// process runs one task of a worker.
func (c *Controller) process(ctx context.Context, t *task) {
	if t.group != nil {
		hold := c.writeBatch(ctx, t.batch)
		c.q.release(t.group, hold)
		return
	}
	j, out := c.resolve(ctx, t.id, t.item.requests, t.item.reasons)
	if out != nil {
		c.finish([]Outcome{*out}, time.Since(j.taken))
		return
	}
	c.q.park(j.groupKey(), j)
}

// finish records outcomes and ends their keys' runs.
func (c *Controller) finish(outs []Outcome, d time.Duration) {
	for _, o := range outs {
		c.record(o)
		c.o.Metrics.Reconcile(o.Result, d)
		// A directory reconciled whose status NetBox refused runs again
		// after a backoff, to retry the write.
		statusOwed := o.StatusWriteError != ""
		c.q.done(o.FabricID, verdict{
			retry:      o.Result == ResultRetry || statusOwed,
			retryAfter: o.RetryAfter,
			success:    (o.Result == ResultCommitted || o.Result == ResultUnchanged) && !statusOwed,
		})
	}
}

func (c *Controller) record(o Outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.results[o.FabricID] = o
}
