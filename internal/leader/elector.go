package leader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options, the same as Kubernetes' own controllers use.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// releaseTimeout bounds the release of the Lease once Run's ctx has ended.
const releaseTimeout = 5 * time.Second

// Options configure an Elector.
type Options struct {
	// Config reaches the API server (see InCluster). Required.
	Config *Config
	// Namespace and Name of the Lease. Namespace defaults to
	// Config.Namespace; Name is required.
	Namespace, Name string
	// Identity written into holderIdentity. Default: the hostname (the pod
	// name) with a random suffix, so a restarted pod is a new holder.
	Identity string
	// LeaseDuration: how long a non-leader waits, after it last saw the
	// Lease change, before it takes the Lease over. Every replica must use
	// the same value. Default DefaultLeaseDuration.
	LeaseDuration time.Duration
	// RenewDeadline: how long the leader keeps leading without a successful
	// renewal. Must be less than LeaseDuration. Default DefaultRenewDeadline.
	RenewDeadline time.Duration
	// RetryPeriod between two attempts to acquire or renew. Must be less
	// than RenewDeadline. Default DefaultRetryPeriod.
	RetryPeriod time.Duration
	// Now stamps acquireTime and renewTime (default time.Now). Whether a
	// Lease has expired is judged by the local monotonic clock since the
	// Lease was last seen changing, never by comparing its timestamps with
	// Now, so clocks skewed between replicas do no harm.
	Now func() time.Time
	// Logger for changes of leadership and failed attempts (default: none).
	Logger *slog.Logger
	// HTTPClient for the API server. Default: one built from Config.CAFile.
	HTTPClient *http.Client
}

// Elector takes part in the election of one Lease. Create it with New and
// call Run once.
type Elector struct {
	o       Options
	c       client
	ownHTTP bool
	log     *slog.Logger
	leading atomic.Bool
	running atomic.Bool

	// Touched by Run's goroutine only.
	observed   string    // the Lease's spec as last seen
	observedAt time.Time // when it was last seen changing (monotonic)
	lastErr    string
}

// New checks opts, fills in the defaults and returns an Elector.
func New(opts Options) (*Elector, error) {
	if opts.Config == nil || opts.Config.Host == "" {
		return nil, errors.New("leader: no API server configured")
	}
	if opts.Namespace == "" {
		opts.Namespace = opts.Config.Namespace
	}
	if opts.Namespace == "" || opts.Name == "" {
		return nil, errors.New("leader: lease namespace and name are required")
	}
	if opts.LeaseDuration == 0 {
		opts.LeaseDuration = DefaultLeaseDuration
	}
	if opts.RenewDeadline == 0 {
		opts.RenewDeadline = DefaultRenewDeadline
	}
	if opts.RetryPeriod == 0 {
		opts.RetryPeriod = DefaultRetryPeriod
	}
	if opts.RetryPeriod <= 0 || opts.RenewDeadline <= opts.RetryPeriod || opts.LeaseDuration <= opts.RenewDeadline {
		return nil, fmt.Errorf("leader: need 0 < retry period (%s) < renew deadline (%s) < lease duration (%s)",
			opts.RetryPeriod, opts.RenewDeadline, opts.LeaseDuration)
	}
	if opts.Identity == "" {
		id, err := defaultIdentity()
		if err != nil {
			return nil, err
		}
		opts.Identity = id
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Elector{o: opts, log: opts.Logger}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.log = e.log.With("lease", opts.Namespace+"/"+opts.Name, "identity", opts.Identity)
	hc := opts.HTTPClient
	if hc == nil {
		var err error
		if hc, err = opts.Config.httpClient(); err != nil {
			return nil, err
		}
		e.ownHTTP = true
	}
	e.c = client{cfg: opts.Config, http: hc, namespace: opts.Namespace, name: opts.Name}
	return e, nil
}

func defaultIdentity() (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("leader: hostname for the identity: %w", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return host + "_" + hex.EncodeToString(b), nil
}

// Identity is the holderIdentity this Elector writes.
func (e *Elector) Identity() string { return e.o.Identity }

// IsLeader reports whether the Elector leads now: from a successful
// acquisition until it stops leading (lead has been told to stop by then).
func (e *Elector) IsLeader() bool { return e.leading.Load() }

// Run takes part in the election until ctx ends, then returns.
//
// Each time it acquires the Lease it calls lead in a goroutine with a
// context that is cancelled when it stops leading: when a renewal has not
// succeeded for RenewDeadline, when the Lease is found held by another
// identity, or when ctx ends. It waits for lead to return before it tries to
// acquire again, so lead runs at most once at a time in this process; lead
// must return promptly once its context ends. If lead returns by itself
// while still leading, the Lease is released and, after RetryPeriod, Run
// competes again (lead may then run again here or on another replica).
//
// When ctx ends, Run cancels lead's context, waits for lead to return and
// releases the Lease if it still holds it (holderIdentity emptied), so that
// another replica takes over at its next attempt instead of after
// LeaseDuration. Run must be called once; a second concurrent call returns
// at once. A nil lead only holds the leadership (see IsLeader).
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context)) {
	if lead == nil {
		lead = func(ctx context.Context) { <-ctx.Done() }
	}
	if !e.running.CompareAndSwap(false, true) {
		e.log.Error("leader: Run called twice on one Elector")
		return
	}
	defer e.running.Store(false)
	if e.ownHTTP {
		defer e.c.http.CloseIdleConnections()
	}
	for {
		acquired, ok := e.acquire(ctx)
		if !ok {
			return
		}
		byItself := e.lead(ctx, acquired, lead)
		if ctx.Err() != nil {
			return
		}
		if byItself && !e.sleep(ctx, e.o.RetryPeriod) {
			return
		}
	}
}

// acquire tries every RetryPeriod (with jitter) until it holds the Lease
// (true, and when the successful attempt was sent) or ctx ends (false).
func (e *Elector) acquire(ctx context.Context) (time.Time, bool) {
	for {
		if ctx.Err() != nil {
			return time.Time{}, false
		}
		attempt := time.Now()
		actx, cancel := context.WithTimeout(ctx, e.o.RenewDeadline)
		ok, err := e.tryAcquireOrRenew(actx)
		cancel()
		if ok {
			e.lastErr = ""
			return attempt, true
		}
		if err != nil && ctx.Err() == nil {
			e.logErr("leader: acquire failed", err)
		}
		jitter := time.Duration(mrand.Int64N(int64(e.o.RetryPeriod)/5 + 1))
		if !e.sleep(ctx, e.o.RetryPeriod+jitter) {
			return time.Time{}, false
		}
	}
}

// lead runs lead while it renews the Lease, and returns once it no longer
// leads and lead has returned. It reports whether lead returned by itself.
// acquired is when the successful acquisition was sent: the RenewDeadline
// is counted from the sending of the last successful write, which is no
// later than the moment the other replicas can have seen it.
func (e *Elector) lead(ctx context.Context, acquired time.Time, lead func(context.Context)) (byItself bool) {
	e.leading.Store(true)
	e.log.Info("leader: started leading")
	leadCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		lead(leadCtx)
	})
	lastRenew := acquired
	reason := ""
	timer := time.NewTimer(e.o.RetryPeriod)
loop:
	for {
		select {
		case <-ctx.Done():
			reason = "shutting down"
			break loop
		case <-done:
			reason = "lead returned"
			byItself = true
			break loop
		case <-timer.C:
		}
		left := e.o.RenewDeadline - time.Since(lastRenew)
		if left <= 0 {
			reason = "renew deadline passed"
			break loop
		}
		attempt := time.Now()
		rctx, cancel := context.WithTimeout(ctx, left)
		ok, err := e.tryAcquireOrRenew(rctx)
		cancel()
		switch {
		case ok:
			lastRenew = attempt
			e.lastErr = ""
		case errors.Is(err, errLost):
			reason = "lease taken over"
			break loop
		case ctx.Err() != nil:
			reason = "shutting down"
			break loop
		case err != nil:
			e.logErr("leader: renew failed", err)
		}
		left = e.o.RenewDeadline - time.Since(lastRenew)
		if left <= 0 {
			reason = "renew deadline passed"
			break loop
		}
		timer.Reset(min(e.o.RetryPeriod, left))
	}
	timer.Stop()
	stop()
	wg.Wait()
	e.leading.Store(false)
	e.log.Info("leader: stopped leading", "reason", reason)
	if ctx.Err() != nil || byItself {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if err := e.release(rctx); err != nil {
			e.log.Warn("leader: release failed; another replica takes over after the lease duration", "err", err)
		} else {
			e.log.Info("leader: released the lease")
		}
	}
	return byItself
}

// tryAcquireOrRenew reads the Lease and writes it with this identity as the
// holder unless another identity holds it and has been seen renewing within
// LeaseDuration. It returns true when the write succeeded. When the Lease
// is held by another, it returns errLost if this Elector leads, else no
// error.
func (e *Elector) tryAcquireOrRenew(ctx context.Context) (bool, error) {
	now := e.o.Now()
	cur, err := e.c.get(ctx)
	if errors.Is(err, ErrNotFound) {
		l := &lease{
			APIVersion: "coordination.k8s.io/v1",
			Kind:       "Lease",
			Metadata:   map[string]json.RawMessage{"name": jsonString(e.o.Name), "namespace": jsonString(e.o.Namespace)},
			Spec: leaseSpec{
				HolderIdentity:       ptr(e.o.Identity),
				LeaseDurationSeconds: ptr(seconds(e.o.LeaseDuration)),
				AcquireTime:          microTime(now),
				RenewTime:            microTime(now),
				LeaseTransitions:     ptr(int32(0)),
			},
		}
		created, err := e.c.create(ctx, l)
		if err != nil {
			return false, fmt.Errorf("leader: create lease: %w", err)
		}
		e.observe(created)
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("leader: get lease: %w", err)
	}
	e.observe(cur)
	holder := cur.Spec.holder()
	if holder != "" && holder != e.o.Identity && time.Since(e.observedAt) < e.o.LeaseDuration {
		if e.leading.Load() {
			return false, errLost
		}
		return false, nil
	}
	next := *cur
	next.Spec.HolderIdentity = ptr(e.o.Identity)
	next.Spec.LeaseDurationSeconds = ptr(seconds(e.o.LeaseDuration))
	next.Spec.RenewTime = microTime(now)
	if holder != e.o.Identity {
		next.Spec.AcquireTime = microTime(now)
		next.Spec.LeaseTransitions = ptr(cur.Spec.transitions() + 1)
		if holder != "" {
			e.log.Info("leader: taking over an expired lease", "previous_holder", holder)
		}
	}
	updated, err := e.c.update(ctx, &next)
	if err != nil {
		return false, fmt.Errorf("leader: update lease: %w", err)
	}
	e.observe(updated)
	return true, nil
}

// observe remembers when the Lease's spec was last seen changing: the
// holder is alive as long as it keeps changing.
func (e *Elector) observe(l *lease) {
	if r := l.Spec.record(); r != e.observed {
		e.observed = r
		e.observedAt = time.Now()
	}
}

// release empties holderIdentity if this Elector still holds the Lease.
func (e *Elector) release(ctx context.Context) error {
	cur, err := e.c.get(ctx)
	if err != nil {
		return fmt.Errorf("leader: release: get lease: %w", err)
	}
	if cur.Spec.holder() != e.o.Identity {
		return nil
	}
	now := e.o.Now()
	next := *cur
	next.Spec.HolderIdentity = ptr("")
	next.Spec.LeaseDurationSeconds = ptr(int32(1))
	next.Spec.AcquireTime = microTime(now)
	next.Spec.RenewTime = microTime(now)
	if _, err := e.c.update(ctx, &next); err != nil {
		return fmt.Errorf("leader: release: update lease: %w", err)
	}
	return nil
}

// logErr logs a failed attempt once per distinct error, not every
// RetryPeriod.
func (e *Elector) logErr(msg string, err error) {
	if s := err.Error(); s != e.lastErr {
		e.lastErr = s
		e.log.Warn(msg, "err", s)
	}
}

func (e *Elector) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
