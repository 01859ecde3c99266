package reconcile

import (
	"context"
	"errors"
	"maps"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// Push is a git host's word that a branch moved: a hint, like a NetBox
// webhook. The core maps it onto the fabrics whose directories it touches.
type Push struct {
	// URLs are the repository's URLs in the forms the host gave (web,
	// HTTPS clone, SSH clone); any one matching a fabric's repository is
	// enough.
	URLs   []string
	Branch string
	// Paths are the repository paths the push changed, leaving out the
	// service's own commits. Complete is false when the host did not list
	// them all; then every fabric on the repository and branch is queued.
	Paths    []string
	Complete bool
	// Reason names the trigger in logs ("github push").
	Reason string
}

// maxPendingPushes bounds the pushes waiting to be matched; beyond it a
// push is dropped with a warning and the resync is the safety net.
const maxPendingPushes = 1024

// pushIndexMaxAge bounds how long the map of repositories to fabrics is
// used without a fresh read, in case a NetBox webhook was lost.
const pushIndexMaxAge = 10 * time.Minute

// pushTarget is one fabric as a push is matched against it.
type pushTarget struct {
	id     int64
	branch string
	dir    string // checked FGD path, "" for the repository root
}

// pushIndex maps a repository key (repoKey) to the fabrics on it. It is
// built from NetBox when a push needs it and is stale: at start, after a
// fabric or repository webhook, after a resync pass, and after
// pushIndexMaxAge. A rebuild lists the fabrics and reads only the
// repositories it does not hold yet: a repository's webhook drops that
// one, a resync pass and the maximum age drop them all.
type pushIndex struct {
	mu      sync.Mutex
	byRepo  map[string][]pushTarget
	repos   map[int64]fabric.Repository
	built   time.Time
	stale   bool
	pending []Push
	wake    chan struct{} // capacity 1
}

func newPushIndex() *pushIndex {
	return &pushIndex{stale: true, repos: map[int64]fabric.Repository{}, wake: make(chan struct{}, 1)}
}

// invalidate marks the map stale: the next push lists the fabrics again.
func (x *pushIndex) invalidate() {
	x.mu.Lock()
	x.stale = true
	x.mu.Unlock()
}

// forgetRepository is invalidate that also reads repository id again.
func (x *pushIndex) forgetRepository(id int64) {
	x.mu.Lock()
	x.stale = true
	delete(x.repos, id)
	x.mu.Unlock()
}

// forgetAll is invalidate that also reads every repository again.
func (x *pushIndex) forgetAll() {
	x.mu.Lock()
	x.stale = true
	x.repos = map[int64]fabric.Repository{}
	x.mu.Unlock()
}

// EnqueuePush asks for a reconcile of the fabrics a push touches. It never
// blocks and never calls NetBox on the caller's goroutine: a goroutine of
// Run matches the push against the fabrics (reading them from NetBox when
// its map is stale) and queues them like any other trigger.
func (c *Controller) EnqueuePush(p Push) {
	x := c.pushes
	x.mu.Lock()
	if len(x.pending) >= maxPendingPushes {
		x.mu.Unlock()
		c.log.Warn("reconcile: too many pushes waiting, left to the resync", "branch", p.Branch)
		return
	}
	x.pending = append(x.pending, p)
	x.mu.Unlock()
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// runPushes matches waiting pushes until ctx ends. When NetBox cannot be
// read, the pushes wait and the read is tried again after RetryBase,
// doubling up to RetryMax, so that a NetBox outage does not leave them to
// the (with git webhooks, rare) full resync.
func (c *Controller) runPushes(ctx context.Context) {
	x := c.pushes
	var delay time.Duration
	for c.waitPush(ctx, delay) {
		x.mu.Lock()
		batch := x.pending
		x.pending = nil
		x.mu.Unlock()
		if len(batch) == 0 {
			delay = 0
			continue
		}
		index, err := c.pushTargets(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			delay = min(max(2*delay, c.o.RetryBase), c.o.RetryMax)
			c.log.Warn("reconcile: reading the fabrics for a git push failed, trying again", "pushes", len(batch), "in", delay.String(), "error", redact(err.Error()))
			x.requeue(batch)
			continue
		}
		delay = 0
		for _, p := range batch {
			c.queuePush(index, p)
		}
	}
}

// waitPush waits for a push, or, when a read failed, for delay; it reports
// false when ctx ended.
func (c *Controller) waitPush(ctx context.Context, delay time.Duration) bool {
	if delay > 0 {
		return gitport.SleepCtx(ctx, delay) == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-c.pushes.wake:
		return true
	}
}

// requeue puts pushes back before those that came meanwhile, keeping at
// most maxPendingPushes (the newest).
func (x *pushIndex) requeue(batch []Push) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pending = append(batch, x.pending...)
	if n := len(x.pending) - maxPendingPushes; n > 0 {
		x.pending = x.pending[n:]
	}
}

// queuePush queues the fabrics of index that p touches.
func (c *Controller) queuePush(index map[string][]pushTarget, p Push) {
	seen := map[int64]bool{}
	for _, u := range p.URLs {
		for _, t := range index[c.repoKey(u)] {
			if seen[t.id] || t.branch != p.Branch || (p.Complete && !touches(p.Paths, t.dir)) {
				continue
			}
			seen[t.id] = true
			c.q.add(t.id, p.Reason, "")
		}
	}
	c.log.Info("git push", "reason", p.Reason, "branch", p.Branch, "paths", len(p.Paths), "complete", p.Complete, "queued", len(seen))
}

// pushTargets returns the map, rebuilt from NetBox when stale.
func (c *Controller) pushTargets(ctx context.Context) (map[string][]pushTarget, error) {
	x := c.pushes
	x.mu.Lock()
	expired := c.o.Now().Sub(x.built) >= pushIndexMaxAge
	if expired {
		x.repos = map[int64]fabric.Repository{}
	}
	fresh := !x.stale && !expired
	index := x.byRepo
	repos := maps.Clone(x.repos)
	x.stale = false // an invalidation from now on marks it again
	x.mu.Unlock()
	if fresh {
		return index, nil
	}
	built := c.o.Now()
	index, err := c.buildPushIndex(ctx, repos)
	if err != nil {
		x.invalidate()
		return nil, err
	}
	x.mu.Lock()
	x.byRepo, x.built = index, built
	if !x.stale {
		// Nothing was forgotten while this build read NetBox: keep what
		// it read. Otherwise the next push reads those again.
		x.repos = repos
	}
	x.mu.Unlock()
	return index, nil
}

// buildPushIndex lists the fabrics and finds each one's repository in
// repos (the cache, which it fills): when two or more are missing, one list
// of the repositories fills it; one missing is read on its own. A fabric
// whose repository is gone is left out: its reconcile reports it.
func (c *Controller) buildPushIndex(ctx context.Context, repos map[int64]fabric.Repository) (map[string][]pushTarget, error) {
	fabrics, err := c.o.NetBox.Fabrics(ctx, 0)
	if err != nil {
		return nil, err
	}
	listed := c.fillRepositories(ctx, fabrics, repos)
	index := map[string][]pushTarget{}
	for i := range fabrics {
		f := &fabrics[i]
		if f.RepositoryID == 0 {
			continue
		}
		r, ok := repos[f.RepositoryID]
		if !ok && listed {
			continue // not in the list: gone
		}
		if !ok {
			r, err = c.o.NetBox.Repository(ctx, f.RepositoryID)
			if errors.Is(err, fabric.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			repos[f.RepositoryID] = r
		}
		dir, err := c.o.Engine.CheckDir(f.Directory)
		if err != nil {
			continue // its reconcile reports the bad directory
		}
		if key := c.repoKey(r.URL); key != "" {
			index[key] = append(index[key], pushTarget{id: f.ID, branch: r.Branch, dir: dir})
		}
	}
	return index, nil
}

// fillRepositories lists the repositories into repos when the fabrics name
// two or more it lacks, and reports whether it did. A failed list is
// logged; the caller then reads them one by one.
func (c *Controller) fillRepositories(ctx context.Context, fabrics []fabric.Fabric, repos map[int64]fabric.Repository) bool {
	missing := map[int64]bool{}
	for i := range fabrics {
		if id := fabrics[i].RepositoryID; id != 0 {
			if _, ok := repos[id]; !ok {
				missing[id] = true
			}
		}
	}
	if len(missing) < 2 {
		return false
	}
	list, err := c.o.NetBox.Repositories(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Warn("git push: listing the git repositories failed; reading them one by one", "error", redact(err.Error()))
		}
		return false
	}
	for _, r := range list {
		repos[r.ID] = r
	}
	return true
}

// repoKey is the form in which two URLs of one repository compare equal:
// https and ssh, with or without .git, any case of host, owner and name,
// and without a port (the SSH daemon and the web server of one host listen
// on different ports). A key shared by two repositories only queues a
// fabric too many, whose reconcile then changes nothing. "" when the URL
// is not a repository URL.
func (c *Controller) repoKey(raw string) string {
	r, err := c.o.ParseURL(raw)
	if err != nil {
		return ""
	}
	host := r.Host
	if i := strings.LastIndexByte(host, ':'); i > 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	return strings.ToLower(gitport.Repo{Host: host, Owner: r.Owner, Name: r.Name}.String())
}

// touches reports whether any path is an input of the FGD at dir: a file
// under its raw/, or a YAML file directly in it.
func touches(paths []string, dir string) bool {
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	for _, p := range paths {
		rel, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if strings.HasPrefix(rel, "raw/") {
			return true
		}
		if !strings.Contains(rel, "/") {
			switch strings.ToLower(path.Ext(rel)) {
			case ".yaml", ".yml":
				return true
			}
		}
	}
	return false
}
