package gitport

import (
	"context"
	"sync"
	"time"
)

// KeyedMutex serialises the writers of one branch, keyed by
// Target.WriterKey (the only key format in use), and lets a waiter give up when its context ends. Entries are
// removed when nobody holds or waits. The zero value is ready to use.
type KeyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	ch   chan struct{} // holds one token while the key is locked
	refs int
}

// Lock waits for key and returns the function that unlocks it, or ctx's
// error when ctx ends first.
func (k *KeyedMutex) Lock(ctx context.Context, key string) (unlock func(), err error) {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*keyedEntry)
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{ch: make(chan struct{}, 1)}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()

	release := func() {
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// SleepCtx waits d or until ctx ends: the default Sleep of the adapters'
// compare-and-swap retries.
func SleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Rounds is the skeleton every adapter's Apply shares: it holds the
// writer lock of the target's branch and runs rounds of read → plan →
// write, again after a conflict (the branch moved under it) with a growing
// jittered wait, up to Max rounds. The zero Locks is ready; Sleep and Rand
// are required.
type Rounds struct {
	Locks KeyedMutex
	Max   int
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64 // in [0,1)
	// Fail makes the adapter's error for a failure of the loop itself.
	Fail func(t Target, class Class, op, msg string, err error) error
}

// Run locks t's branch, calls start once for the adapter's session, then
// its round until one does not end in a conflict or Max rounds are spent.
// Result.Attempts counts the rounds.
func (r *Rounds) Run(ctx context.Context, t Target, start func() (round func() (Result, error), err error)) (Result, error) {
	unlock, err := r.Locks.Lock(ctx, t.WriterKey())
	if err != nil {
		return Result{}, r.Fail(t, ClassTransient, "wait for the repository lock", "cancelled", err)
	}
	defer unlock()
	round, err := start()
	if err != nil {
		return Result{}, err
	}
	for attempt := 1; ; attempt++ {
		res, err := round()
		res.Attempts = attempt
		if err == nil || ClassOf(err) != ClassConflict || attempt >= r.Max {
			return res, err
		}
		// Jitter, so that two replicas racing for one branch spread out.
		wait := time.Duration(r.Rand() * float64(time.Duration(attempt)*100*time.Millisecond))
		if serr := r.Sleep(ctx, wait); serr != nil {
			return res, r.Fail(t, ClassTransient, "retry after conflict", "cancelled", serr)
		}
	}
}
