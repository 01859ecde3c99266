package reconcile

import (
	"context"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
)

// enqueueListed queues the fabrics a resync pass found due, using what the
// pass already read instead of a GET per fabric: the fabric list (custom
// fields included) and one list of the git repositories. A fabric that can
// go straight to a writer is parked in the group of its repository and
// branch; each group arrives whole, so a branch's fabrics become one batch
// (up to MaxBatch) and one read of its tree. The rest take the ordinary
// path, where a worker reads the fabric fresh and reports why it cannot be
// reconciled: a fabric without a repository, one whose repository is not
// listed, an unusable URL or directory, a fabric the queue already knows
// (waiting, in backoff or in flight: its own run reads it fresh, or runs
// once more), or every fabric when the repositories cannot be listed.
//
// A webhook or the API still queues by id only (Enqueue): a hint, for which
// the worker re-reads the fabric. The list read at the start of this pass
// is as fresh as such a read.
func (c *Controller) enqueueListed(ctx context.Context, due []*fabric.Fabric, reason string) {
	if len(due) == 0 {
		return
	}
	repos, err := c.o.NetBox.Repositories(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Warn("resync: listing the git repositories failed; each fabric is read on its own",
				"error", redact(err.Error()))
		}
		for _, f := range due {
			c.Enqueue(f.ID, reason)
		}
		return
	}
	byID := make(map[int64]*fabric.Repository, len(repos))
	for i := range repos {
		byID[repos[i].ID] = &repos[i]
	}
	groups := map[string][]*job{}
	var order []string
	taken := time.Now()
	for _, f := range due {
		j := c.listedJob(f, byID[f.RepositoryID], reason, taken)
		if j == nil {
			c.Enqueue(f.ID, reason)
			continue
		}
		key := j.groupKey()
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], j)
	}
	for _, key := range order {
		for _, j := range c.q.parkListed(key, groups[key]) {
			c.Enqueue(j.id, reason)
		}
	}
}

// listedJob is resolve for a fabric as listed, with its repository as
// listed: the job, or nil when the fabric needs the ordinary path (which
// writes the status that explains it).
func (c *Controller) listedJob(f *fabric.Fabric, repo *fabric.Repository, reason string, taken time.Time) *job {
	if f.RepositoryID == 0 || repo == nil {
		return nil
	}
	r, err := c.o.ParseURL(repo.URL)
	if err != nil {
		return nil
	}
	dir, err := c.o.Engine.CheckDir(f.Directory)
	if err != nil {
		return nil
	}
	return &job{
		id: f.ID, fabric: f, repo: repo, target: c.target(r, repo.Branch), dir: dir,
		reasons: []string{reason}, taken: taken,
	}
}
