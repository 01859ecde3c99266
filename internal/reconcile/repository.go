package reconcile

import (
	"context"
	"sync"
)

// maxPendingRepositories bounds the repositories waiting for their fabrics
// to be listed. Beyond it a repository change is dropped with a warning:
// the periodic resync is the safety net.
const maxPendingRepositories = 1024

// repoFanout remembers the repositories whose fabrics are to be listed and
// queued, deduplicated by repository id, for the goroutine Run starts.
type repoFanout struct {
	mu      sync.Mutex
	pending map[int64]repoChange
	order   []int64
	wake    chan struct{} // capacity 1
}

// repoChange is one waiting repository: the latest trigger wins.
type repoChange struct {
	reason, requestID string
}

func newRepoFanout() *repoFanout {
	return &repoFanout{pending: map[int64]repoChange{}, wake: make(chan struct{}, 1)}
}

// add records a change; it reports false when the set is full.
func (r *repoFanout) add(id int64, ch repoChange) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.pending[id]; !ok {
		if len(r.pending) >= maxPendingRepositories {
			return false
		}
		r.order = append(r.order, id)
	}
	r.pending[id] = ch
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return true
}

// take removes and returns the oldest waiting repository.
func (r *repoFanout) take() (int64, repoChange, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.order) == 0 {
		return 0, repoChange{}, false
	}
	id := r.order[0]
	r.order = r.order[1:]
	ch := r.pending[id]
	delete(r.pending, id)
	return id, ch, true
}

// EnqueueRepository asks for a reconcile of every fabric whose
// git_repository is repoID, for a change to the repository (its URL or
// branches). It never blocks and never calls NetBox on the caller's
// goroutine: the fabrics are listed by a goroutine of Run, one repository
// at a time, and queued like any other trigger, so those on one repository
// and branch land in one commit. Changes of one repository that wait
// together are listed once. A listing that fails is logged and not
// retried; the periodic resync is the safety net.
func (c *Controller) EnqueueRepository(repoID int64, reason, requestID string) {
	c.pushes.forgetRepository(repoID) // its URL or branch may have changed
	if !c.repos.add(repoID, repoChange{reason: reason, requestID: requestID}) {
		c.log.Warn("reconcile: too many repository changes waiting, left to the resync", "repository", repoID)
	}
}

// runRepositories lists and queues the fabrics of changed repositories
// until ctx ends.
func (c *Controller) runRepositories(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.repos.wake:
		}
		for ctx.Err() == nil {
			id, ch, ok := c.repos.take()
			if !ok {
				break
			}
			c.fanOutRepository(ctx, id, ch)
		}
	}
}

// fanOutRepository lists the fabrics of one repository and queues them.
func (c *Controller) fanOutRepository(ctx context.Context, repoID int64, ch repoChange) {
	fabrics, err := c.o.NetBox.Fabrics(ctx, repoID)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Warn("reconcile: listing the fabrics of a changed repository failed, left to the resync",
				"repository", repoID, "error", redact(err.Error()))
		}
		return
	}
	n := 0
	for i := range fabrics {
		// Check the answer too: a filter NetBox did not apply must not
		// queue every fabric.
		if fabrics[i].RepositoryID != repoID {
			continue
		}
		c.q.add(fabrics[i].ID, ch.reason, ch.requestID)
		n++
	}
	c.log.Info("repository changed", "repository", repoID, "reason", ch.reason, "request_id", ch.requestID, "queued", n)
}
