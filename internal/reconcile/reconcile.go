package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	redactpkg "github.com/githedgehog/hnp-gitops/internal/redact"
	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// The results of a reconcile, as the reconciles_total metric counts them.
const (
	ResultCommitted = "committed" // the fabric's FGD changed in a new commit
	ResultUnchanged = "unchanged" // the FGD was already in its target state
	ResultRetry     = "retry"     // a retryable failure: it runs again after a backoff
	ResultFailed    = "failed"    // a terminal failure: it runs again when NetBox or the resync asks
	ResultDeleted   = "deleted"   // the fabric is gone from NetBox: nothing to do, its directory is left
)

// Outcome is the result of one reconcile of one fabric, kept per fabric for
// the API and returned by ReconcileNow.
type Outcome struct {
	FabricID       int64          `json:"fabric_id"`
	FabricName     string         `json:"fabric_name,omitempty"`
	Repository     string         `json:"repository,omitempty"`
	Branch         string         `json:"branch,omitempty"`
	Directory      string         `json:"directory"`
	Result         string         `json:"result"`
	Status         status.Status  `json:"status,omitempty"` // the status the fabric has now, as far as the service knows
	CommitURL      string         `json:"commit_url,omitempty"`
	PullRequestURL string         `json:"pull_request_url,omitempty"`
	Changes        int            `json:"changes"`
	Placed         map[string]int `json:"placed,omitempty"`
	Conflicts      []string       `json:"conflicts,omitempty"`
	Rejected       []string       `json:"rejected,omitempty"` // documents that failed their CRD schema, moved to unmanaged/
	Error          string         `json:"error,omitempty"`
	// StatusWriteError is set when the directory was reconciled but its
	// status could not be written to NetBox; the write is retried with
	// backoff (the whole reconcile runs again, a no-op in git).
	StatusWriteError string        `json:"status_write_error,omitempty"`
	BatchSize        int           `json:"batch_size,omitempty"` // fabrics reconciled in the same commit
	Time             time.Time     `json:"time"`
	Duration         time.Duration `json:"-"`
	Seconds          float64       `json:"duration_seconds"`
	// RetryAfter is the wait the error asked for (a rate limit), if any.
	RetryAfter time.Duration `json:"-"`
}

// terminalError marks a failure that retrying cannot fix.
type terminalError struct{ err error }

func (e terminalError) Error() string { return e.err.Error() }
func (e terminalError) Unwrap() error { return e.err }

// classify tells whether err may go away by itself, and how long the error
// asked to wait.
func classify(err error) (retry bool, after time.Duration) {
	var term terminalError
	var gerr *gitport.Error
	switch {
	case errors.As(err, &term):
		return false, 0
	case errors.As(err, &gerr):
		return gerr.Retryable(), gerr.RetryAfter
	}
	if temporary, answered := fabric.Temporary(err); answered {
		return temporary, 0
	}
	// Network errors, timeouts and anything unknown: try again later.
	return true, 0
}

// redact removes URL credentials (which a GitRepository URL typed by hand
// may carry) from a message before it goes anywhere.
func redact(s string) string { return redactpkg.URLUserinfo(s) }

// currentFields copies the four status custom fields of a fabric.
func currentFields(f *fabric.Fabric) map[string]string {
	cur := make(map[string]string, len(status.Fields))
	for _, name := range status.Fields {
		cur[name] = f.Status[name]
	}
	return cur
}

// setStatus writes the fields of want whose value differs from cur, in one
// PATCH, and updates cur. Nothing is written when nothing differs, so the
// service's own writes never cause another write.
func (c *Controller) setStatus(ctx context.Context, f *fabric.Fabric, cur, want map[string]string) error {
	patch := map[string]string{}
	for k, v := range want {
		if !sameValue(k, cur[k], v) {
			patch[k] = v
		}
	}
	if len(patch) == 0 {
		return nil
	}
	id, err := c.o.NetBox.WriteStatus(ctx, f.ID, patch)
	if err != nil {
		c.o.Metrics.StatusWriteFailed(fabric.Code(err))
		return statusWriteError(f.Name, err)
	}
	c.own.add(id)
	c.o.Metrics.StatusWrite()
	maps.Copy(cur, patch)
	return nil
}

// errNotSetUp is a status write refused because `netbox setup` never ran:
// nothing is committed then, as the start-up check says (the one refusal
// that stops git: the operator has not finished installing).
var errNotSetUp = errors.New("NetBox lacks the status custom fields (run `hnp-gitops netbox setup`)")

// statusWriteError explains a failed status write, naming the fix when
// the adapter classified NetBox's answer.
func statusWriteError(name string, err error) error {
	switch {
	case errors.Is(err, fabric.ErrBlankField):
		return fmt.Errorf("write status of fabric %s: NetBox refused the write because HNP's fabric fields %s lack blank=True; "+
			"apply the one-line HNP patch in docs/install.md#hnp-prerequisites. The GitOps directory is still reconciled: %w",
			name, strings.Join(fabric.BlankFields(err), ", "), err)
	case errors.Is(err, fabric.ErrUnknownStatusField):
		return fmt.Errorf("write status of fabric %s: %w: %w", name, errNotSetUp, err)
	}
	return fmt.Errorf("write status of fabric %s: %w", name, err)
}

// differs reports whether any field of want differs from the field as
// read.
func differs(read, want map[string]string) bool {
	for k, v := range want {
		if !sameValue(k, read[k], v) {
			return true
		}
	}
	return false
}

// sameValue compares a field as read with the value the service would
// write, allowing for how NetBox may give it back (surrounding whitespace;
// a datetime in another offset form), so that a representation difference
// never causes a write, and with it a webhook, on every run.
func sameValue(field, read, want string) bool {
	read, want = strings.TrimSpace(read), strings.TrimSpace(want)
	if read == want {
		return true
	}
	if field == status.FieldLastSync {
		a, err1 := time.Parse(time.RFC3339, read)
		b, err2 := time.Parse(time.RFC3339, want)
		return err1 == nil && err2 == nil && a.Equal(b)
	}
	return false
}

// resolve reads a fabric and its repository and checks its directory. It
// returns a job for a writer, or, when the fabric cannot be reconciled, its
// Outcome (with the status already written).
func (c *Controller) resolve(ctx context.Context, id int64, requests, reasons []string) (*job, *Outcome) {
	j := &job{id: id, requests: requests, reasons: reasons, taken: time.Now()}
	fail := func(err error, st status.Status, msg string) (*job, *Outcome) {
		out := c.failure(ctx, j, err, st, msg, nil)
		return j, &out
	}
	f, err := c.o.NetBox.Fabric(ctx, id)
	if errors.Is(err, fabric.ErrNotFound) {
		// Deleted: nothing to write a status to, and its directory stays.
		out := c.outcome(j)
		out.Result = ResultDeleted
		c.log.Info("reconcile: fabric not in NetBox (deleted); its directory is left as it is", "fabric", id, "reasons", reasons)
		return j, &out
	}
	if err != nil {
		return fail(err, "", "")
	}
	j.fabric = &f
	if f.RepositoryID == 0 {
		return fail(terminalError{errors.New("fabric has no git repository")}, status.Error,
			"fabric has no git repository: choose one in NetBox")
	}
	repo, err := c.o.NetBox.Repository(ctx, f.RepositoryID)
	if errors.Is(err, fabric.ErrNotFound) {
		return fail(terminalError{err}, status.Error,
			fmt.Sprintf("git repository %d of the fabric was not found in NetBox", f.RepositoryID))
	}
	if err != nil {
		return fail(err, "", "")
	}
	j.repo = &repo
	r, err := c.o.ParseURL(repo.URL)
	if err != nil {
		return fail(terminalError{err}, status.Error,
			fmt.Sprintf("the URL of git repository %q is not usable: %v", repo.Name, err))
	}
	j.target = c.target(r, repo.Branch)
	dir, err := c.o.Engine.CheckDir(f.Directory)
	if err != nil {
		return fail(terminalError{err}, status.InvalidStructure, err.Error())
	}
	j.dir = dir
	return j, nil
}

// target is where the fabrics of repository r and branch land.
func (c *Controller) target(r gitport.Repo, branch string) gitport.Target {
	return gitport.Target{
		Repo:                r,
		Branch:              branch,
		CreateMissingBranch: c.o.CreateMissingBranch,
		PullRequestBranch:   c.o.PullRequestBranch,
	}
}

// failure builds the Outcome of a failed reconcile and, when st is set,
// writes the status: st with msg for a terminal error, error with the cause
// for a retryable one.
// cur is the fabric's status fields as far as this run knows them (nil:
// as read).
func (c *Controller) failure(ctx context.Context, j *job, err error, st status.Status, msg string, cur map[string]string) Outcome {
	retry, after := classify(err)
	out := c.outcome(j)
	out.Result = ResultFailed
	if retry {
		out.Result = ResultRetry
		out.RetryAfter = after
	}
	if msg == "" {
		msg = err.Error()
	}
	out.Error = redact(msg)
	if st != "" && j.fabric != nil && ctx.Err() == nil {
		if cur == nil {
			cur = currentFields(j.fabric)
		}
		if werr := c.setStatus(ctx, j.fabric, cur, statusAfter(cur, applied{failed: st, conflict: out.Error})); werr != nil {
			out.StatusWriteError = redact(werr.Error())
			c.log.Warn("reconcile: status write failed", "fabric", j.id, "error", out.StatusWriteError)
			if r, _ := classify(werr); r && out.Result == ResultFailed {
				out.Result = ResultRetry
			}
		}
		out.Status = status.Status(cur[status.FieldStatus])
	}
	if j.fabric != nil && (st != "" || errors.Is(err, errNotSetUp)) {
		want := cmp.Or(st, status.Error)
		c.writeJournal(ctx, journalFacts{Outcome: out, want: want, failed: true, retry: out.Result == ResultRetry})
	}
	c.log.Warn("reconcile", "fabrics", []int64{j.id}, "repo", out.Repository, "branch", out.Branch,
		"result", out.Result, "error", out.Error, "retry_after", out.RetryAfter.String(),
		"reasons", j.reasons, "duration", time.Since(j.taken).String())
	return out
}

// outcome starts the Outcome of a job.
func (c *Controller) outcome(j *job) Outcome {
	out := Outcome{FabricID: j.id, Directory: j.dir, Time: c.o.Now()}
	if j.fabric != nil {
		out.FabricName = j.fabric.Name
		out.Status = status.Status(j.fabric.Status[status.FieldStatus])
	}
	if j.target.Repo.Name != "" {
		out.Repository = j.target.Repo.String()
		out.Branch = j.target.Branch
	}
	out.Duration = time.Since(j.taken)
	out.Seconds = out.Duration.Seconds()
	return out
}

// batchPlan is the PlanFunc of one batch: it runs the engine for each FGD
// and merges the change sets into one proposal. It keeps the per-fabric
// plans of its last call (Apply calls it again when the branch moved).
type batchPlan struct {
	c     *Controller
	jobs  []*job
	plans map[int64]DirPlan
	errs  map[int64]error
}

func (p *batchPlan) plan(head string, snaps map[string]fgd.Snapshot) (gitport.Proposal, error) {
	p.plans = map[int64]DirPlan{}
	p.errs = map[int64]error{}
	var changes []fgd.Change
	seen := map[string]int64{}
	var parts []messagePart
	for _, j := range p.jobs {
		snap, ok := snaps[j.dir]
		if !ok {
			p.errs[j.id] = fmt.Errorf("no snapshot of directory %q", j.dir)
			continue
		}
		dp, err := p.c.o.Engine.Plan(snap, PlanInput{
			FabricID:               j.id,
			FabricName:             j.fabric.Name,
			ArchiveStrategy:        j.fabric.ArchiveStrategy,
			DefaultArchiveStrategy: p.c.o.DefaultArchiveStrategy,
			RepoDir:                j.dir,
			ParentCommit:           head,
		})
		if err != nil {
			p.errs[j.id] = fmt.Errorf("plan directory %q: %w", j.dir, err)
			continue
		}
		for i, ch := range dp.Changes {
			ch.Path = path.Join(j.dir, ch.Path)
			if other, dup := seen[ch.Path]; dup {
				return gitport.Proposal{}, terminalError{fmt.Errorf("reconcile: fabrics %d and %d both change %s: their directories overlap", other, j.id, ch.Path)}
			}
			seen[ch.Path] = j.id
			dp.Changes[i] = ch
		}
		p.plans[j.id] = dp
		if len(dp.Changes) > 0 {
			changes = append(changes, dp.Changes...)
			parts = append(parts, messagePart{id: j.id, name: j.fabric.Name, dir: j.dir, plan: dp, requests: j.requests})
		}
	}
	if len(changes) == 0 {
		return gitport.Proposal{}, nil
	}
	return gitport.Proposal{Changes: changes, Message: commitMessage(parts)}, nil
}

// writeBatch reconciles the fabrics of one repository and branch into one
// commit and writes their statuses. It returns how long the repository
// should not be written again (a rate limit's RetryAfter).
func (c *Controller) writeBatch(ctx context.Context, batch []*job) (hold time.Duration) {
	start := time.Now()
	var outs []Outcome
	if unlock, err := c.locks.Lock(ctx, batch[0].target.WriterKey()); err != nil {
		for _, j := range batch {
			outs = append(outs, c.failure(ctx, j, err, "", "", nil))
		}
	} else {
		outs = c.reconcileBatch(ctx, batch)
		unlock()
	}
	c.finish(outs, time.Since(start))
	// A rate limit holds the whole repository, not only these fabrics:
	// the next batch of the same repository would hit it too.
	for _, o := range outs {
		hold = max(hold, min(o.RetryAfter, MaxRetryAfter))
	}
	return hold
}

// reconcileBatch is writeBatch with the repository lock held: mark the
// fabrics initializing where due, apply one commit, report each fabric.
func (c *Controller) reconcileBatch(ctx context.Context, batch []*job) []Outcome {
	start := time.Now()
	cur := map[int64]map[string]string{}
	live, outs := c.markInitializing(ctx, batch, cur)
	if len(live) == 0 {
		return outs
	}
	target := live[0].target
	dirs := make([]string, 0, len(live))
	for _, j := range live {
		dirs = append(dirs, j.dir)
	}
	bp := &batchPlan{c: c, jobs: live}
	res, err := c.o.Repository.Apply(ctx, target, dirs, bp.plan)
	if err != nil {
		return append(outs, c.applyFailed(ctx, live, cur, err)...)
	}
	outs = append(outs, c.report(ctx, live, cur, bp, res)...)
	c.logBatch(live, res, outs, start)
	return outs
}

// markInitializing reads each fabric's status fields into cur and writes
// initializing where the run is a first one or one the user asked for; a
// fabric in error goes straight to its next status, so that retries do not
// flap the field. A status NetBox refuses does not stop the reconcile of git
// (the final write reports it, and retries), unless NetBox was never set up
// for the service: those fabrics end here, with their Outcome.
func (c *Controller) markInitializing(ctx context.Context, batch []*job, cur map[int64]map[string]string) (live []*job, outs []Outcome) {
	for _, j := range batch {
		cur[j.id] = currentFields(j.fabric)
		if s := status.Status(cur[j.id][status.FieldStatus]); s == "" || s == status.NotInitialized {
			err := c.setStatus(ctx, j.fabric, cur[j.id], map[string]string{status.FieldStatus: string(status.Initializing)})
			if errors.Is(err, errNotSetUp) {
				outs = append(outs, c.failure(ctx, j, err, "", "", cur[j.id]))
				continue
			}
			if err != nil {
				c.log.Warn("reconcile: status write failed; reconciling the directory anyway", "fabric", j.id, "error", redact(err.Error()))
			}
		}
		live = append(live, j)
	}
	return live, outs
}

// applyFailed reports a batch whose commit could not be landed.
func (c *Controller) applyFailed(ctx context.Context, live []*job, cur map[int64]map[string]string, err error) []Outcome {
	retry, _ := classify(err)
	target := live[0].target
	outs := make([]Outcome, 0, len(live))
	for _, j := range live {
		msg := fmt.Sprintf("Could not reconcile the GitOps directory %q of fabric %s in %s (branch %s): %s.",
			displayDir(j.dir), j.fabric.Name, target.Repo, target.Branch, clause(err))
		if retry {
			msg += " The service will retry."
		}
		outs = append(outs, c.failure(ctx, j, err, status.Error, msg, cur[j.id]))
	}
	return outs
}

// report writes each fabric's status after a landed (or empty) commit and
// returns their Outcomes; it counts the commit in the metrics.
func (c *Controller) report(ctx context.Context, live []*job, cur map[int64]map[string]string, bp *batchPlan, res gitport.Result) []Outcome {
	link := res.CommitURL
	if res.PullRequestURL != "" {
		link = res.PullRequestURL
	}
	placed := map[string]int{}
	outs := make([]Outcome, 0, len(live))
	for _, j := range live {
		if perr := bp.errs[j.id]; perr != nil {
			outs = append(outs, c.failure(ctx, j, terminalError{perr}, status.Error,
				fmt.Sprintf("Could not plan the GitOps directory %q of fabric %s: %s.", displayDir(j.dir), j.fabric.Name, clause(perr)), cur[j.id]))
			continue
		}
		dp := bp.plans[j.id]
		out := c.outcome(j)
		out.BatchSize, out.PullRequestURL = len(live), res.PullRequestURL
		out.Changes, out.Placed, out.Conflicts, out.Rejected = len(dp.Changes), nonZero(dp.Placed), dp.Conflicts, dp.Rejected
		r := applied{changed: res.Changed && len(dp.Changes) > 0, link: link, now: c.o.Now()}
		out.Result = ResultUnchanged
		if r.changed {
			out.Result = ResultCommitted
			for k, n := range dp.Placed {
				placed[k] += n
			}
		}
		if text := problemText(dp); text != "" {
			r.conflict = redact(text)
			out.Error = r.conflict
		}
		want := statusAfter(cur[j.id], r)
		if err := c.setStatus(ctx, j.fabric, cur[j.id], want); err != nil {
			out.StatusWriteError = redact(err.Error())
			c.log.Warn("reconcile: status write failed; it is retried with backoff", "fabric", j.id,
				"result", out.Result, "error", out.StatusWriteError)
		}
		out.Status = status.Status(cur[j.id][status.FieldStatus])
		out.CommitURL = cur[j.id][status.FieldCommitURL]
		if r.changed {
			out.CommitURL = res.CommitURL
		}
		c.writeJournal(ctx, journalFacts{Outcome: out, want: status.Status(want[status.FieldStatus]), landed: r.changed,
			headURL: res.CommitURL, head: res.Head, counts: dp.Body, statusChanged: differs(currentFields(j.fabric), want)})
		outs = append(outs, out)
	}
	if res.Changed {
		c.o.Metrics.Commit(placed)
		if res.PullRequestURL != "" && c.notePullRequest(repoKey(live[0].target), res.PullRequestURL) {
			c.o.Metrics.PullRequestOpened()
		}
	}
	return outs
}

// nonZero is counts without its zero entries, nil when none is left: an
// Outcome is kept per fabric, and after a full resync of 10,000 unchanged
// fabrics ten thousand maps of zeros would be kept for nothing.
func nonZero(counts map[string]int) map[string]int {
	var out map[string]int
	for k, n := range counts {
		if n != 0 {
			if out == nil {
				out = make(map[string]int, len(counts))
			}
			out[k] = n
		}
	}
	return out
}

// schemaLead begins the status text of a reconcile that moved documents
// to unmanaged/ because they failed their CRD schema. statusAfter keeps
// such a text while nothing changes: the documents are no longer in raw/,
// so only the reconcile that moved them can report them.
const schemaLead = "Some documents failed their CRD schema and were moved to unmanaged/: "

// maxRejectedInStatus is how many rejected documents the status names.
const maxRejectedInStatus = 5

// problemText is the status text for the documents of a plan that were not
// managed for a reason the user must act on; "" when there are none.
func problemText(dp DirPlan) string {
	var parts []string
	if n := len(dp.Rejected); n > 0 {
		shown := dp.Rejected[:min(n, maxRejectedInStatus)]
		more := ""
		if n > maxRejectedInStatus {
			more = fmt.Sprintf("; and %d more (see the commit message)", n-maxRejectedInStatus)
		}
		parts = append(parts, schemaLead+strings.Join(shown, "; ")+more+
			". Correct them and move them back into raw/.")
	}
	if len(dp.Conflicts) > 0 {
		parts = append(parts, "Some documents were not placed: "+strings.Join(dp.Conflicts, "; ")+
			". Both source files stay where they are; remove or rename one of them.")
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, " ") + " The rest of the directory was reconciled."
}

// applied is what a reconcile found for one fabric: the outcome the
// status state machine turns into fields.
type applied struct {
	// failed is the status of a reconcile that did not reach git, or
	// failed there (error or invalid_structure); conflict is then its
	// message. Empty: git was reached.
	failed   status.Status
	changed  bool      // its directory changed in the new commit
	link     string    // the commit's (or pull request's) URL
	conflict string    // the message for documents not placed, if any
	now      time.Time // the time to write as last_directory_sync
}

// statusAfter is the status state machine after git was reached (the
// table in docs/reconcile.md): the fields to want, given the fields as
// read. setStatus writes only those that differ, so a no-op on an
// initialized fabric without error writes nothing, not even
// last_directory_sync: every write is a webhook.
func statusAfter(cur map[string]string, r applied) map[string]string {
	if r.failed != "" {
		// The directory was not reconciled: the last sync and the last
		// commit stay what they were.
		return map[string]string{status.FieldStatus: string(r.failed), status.FieldError: r.conflict}
	}
	want := map[string]string{status.FieldStatus: string(status.Initialized), status.FieldError: ""}
	if r.conflict != "" {
		want = map[string]string{status.FieldStatus: string(status.Error), status.FieldError: r.conflict}
	}
	switch {
	case r.changed:
		want[status.FieldCommitURL] = r.link
		want[status.FieldLastSync] = status.FormatTime(r.now)
	case r.conflict == "" && cur[status.FieldStatus] == string(status.Error) && strings.HasPrefix(cur[status.FieldError], schemaLead):
		// Nothing changed since documents failed their schema: the
		// report stays until a change lands or the user asks again.
		return map[string]string{status.FieldStatus: string(status.Error), status.FieldError: cur[status.FieldError]}
	case r.conflict == "" && (cur[status.FieldStatus] != string(status.Initialized) || cur[status.FieldError] != ""):
		// Confirmed in its target state after a status that said otherwise.
		want[status.FieldLastSync] = status.FormatTime(r.now)
		if cur[status.FieldCommitURL] == "" && r.link != "" {
			want[status.FieldCommitURL] = r.link
		}
	}
	return want
}

// logBatch logs one line for a batch that reached git.
func (c *Controller) logBatch(live []*job, res gitport.Result, outs []Outcome, start time.Time) {
	ids := make([]int64, 0, len(live))
	for _, j := range live {
		ids = append(ids, j.id)
	}
	committed := 0
	for _, o := range outs {
		if o.Result == ResultCommitted {
			committed++
		}
	}
	link := res.CommitURL
	if res.PullRequestURL != "" {
		link = res.PullRequestURL
	}
	result := ResultUnchanged
	if res.Changed {
		result = ResultCommitted
	}
	target := live[0].target
	c.log.Info("reconcile", "fabrics", ids, "repo", target.Repo.String(), "branch", target.Branch,
		"result", result, "committed_fabrics", committed, "commit", res.Head, "url", link,
		"attempts", res.Attempts, "duration", time.Since(start).String())
}

// clause is an error's text without its closing full stop, for a message
// that ends the sentence itself: GitHub's messages often end with one
// ("Protected branch update failed for refs/heads/main.").
func clause(err error) string { return strings.TrimRight(err.Error(), ". ") }

// displayDir shows the repository root as "/".
func displayDir(dir string) string {
	if dir == "" {
		return "/"
	}
	return dir
}

// notePullRequest remembers the pull request of a repository and reports
// whether it is a new one (the repository port opens or reuses one).
func (c *Controller) notePullRequest(key, url string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prs[key] == url {
		return false
	}
	c.prs[key] = url
	return true
}

// ReconcileNow reconciles one fabric at once, outside the queue (for
// `hnp-gitops reconcile --fabric ID`). It still takes the repository's
// writer lock, so it never writes beside a running worker. It returns an
// error matching ErrReconcile when the fabric did not end initialized; the
// Outcome is filled in either case.
func (c *Controller) ReconcileNow(ctx context.Context, fabricID int64) (Outcome, error) {
	j, out := c.resolve(ctx, fabricID, nil, []string{"now"})
	if out != nil {
		c.record(*out)
		return *out, outcomeError(*out)
	}
	unlock, err := c.locks.Lock(ctx, j.target.WriterKey())
	if err != nil {
		return c.outcome(j), fmt.Errorf("reconcile: fabric %d: %w", fabricID, err)
	}
	outs := c.reconcileBatch(ctx, []*job{j})
	unlock()
	o := outs[0]
	c.record(o)
	c.o.Metrics.Reconcile(o.Result, o.Duration)
	return o, outcomeError(o)
}

// ErrReconcile is matched by the error ReconcileNow returns when the
// fabric did not end initialized: a failure, or conflicting documents.
var ErrReconcile = errors.New("reconcile failed")

func outcomeError(o Outcome) error {
	if o.Result == ResultFailed || o.Result == ResultRetry || o.Status != status.Initialized {
		msg := o.Error
		if msg == "" {
			msg = o.StatusWriteError
		}
		return fmt.Errorf("reconcile: fabric %d: %w: %s", o.FabricID, ErrReconcile, msg)
	}
	return nil
}

// sortedKeys returns the keys of a map in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
