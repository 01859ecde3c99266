package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/netbox"
	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

const (
	repoA = "github.com/o/a@main"
	repoB = "github.com/o/b@main"
)

func TestNewRequiresDependencies(t *testing.T) {
	t.Parallel()
	full := Options{NetBox: newFakeNetBox(), Repository: newFakeRepo(), Engine: &fakeEngine{}, ParseURL: fakeParseURL}
	tests := []struct {
		name string
		mod  func(*Options)
		want error
	}{
		{"complete", func(*Options) {}, nil},
		{"no netbox", func(o *Options) { o.NetBox = nil }, ErrNoNetBox},
		{"no repository", func(o *Options) { o.Repository = nil }, ErrNoRepository},
		{"default engine", func(o *Options) { o.Engine = nil }, nil},
		{"default parse url", func(o *Options) { o.ParseURL = nil }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := full
			tt.mod(&o)
			_, err := New(o)
			if !errors.Is(err, tt.want) {
				t.Errorf("New: %v, want %v", err, tt.want)
			}
		})
	}
}

// The first run initializes the FGD with one commit and writes
// initializing, then initialized with the commit; a second run with nothing
// to do writes neither a commit nor a status; a user's not_initialized gets
// a fresh run.
func TestReconcileNowStatusWrittenOnlyOnChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.nb.addRepo(1, "https://github.com/o/a.git")
	h.nb.addFabric(10, 1, "/gitops/fab/", status.NotInitialized)
	h.repo.put(repoA, "gitops/fab/raw/vpc.yaml", "kind: VPC\n")
	ctx := context.Background()

	out, err := h.c.ReconcileNow(ctx, 10)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if out.Result != ResultCommitted || out.Status != status.Initialized || out.Changes != 3 {
		t.Errorf("first outcome = %+v, want committed, initialized, 3 changes", out)
	}
	commitURL := "https://github.com/o/a/commit/" + repoA + "-c1"
	wantPatches := []patch{
		{ID: 10, Fields: map[string]any{status.FieldStatus: "initializing"}, RequestID: "req-1"},
		{ID: 10, Fields: map[string]any{
			status.FieldStatus:    "initialized",
			status.FieldCommitURL: commitURL,
			status.FieldLastSync:  "2026-03-06T15:11:23+00:00",
		}, RequestID: "req-2"},
	}
	if diff := cmp.Diff(wantPatches, h.nb.patchList()); diff != "" {
		t.Errorf("status writes (-want +got):\n%s", diff)
	}
	if got := h.repo.commitCount(repoA); got != 1 {
		t.Errorf("commits = %d, want 1", got)
	}
	for _, id := range []string{"req-1", "req-2"} {
		if !h.c.IsOwnRequest(id) {
			t.Errorf("IsOwnRequest(%q) = false for the service's own write", id)
		}
	}

	// Nothing to do: no commit, no status write, not even last_directory_sync.
	out, err = h.c.ReconcileNow(ctx, 10)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if out.Result != ResultUnchanged || out.CommitURL != commitURL {
		t.Errorf("second outcome = %+v, want unchanged with the last commit", out)
	}
	if n := len(h.nb.patchList()); n != 2 {
		t.Errorf("status writes after a no-op run = %d, want still 2", n)
	}
	if got := h.repo.commitCount(repoA); got != 1 {
		t.Errorf("commits after a no-op run = %d, want still 1", got)
	}

	// The user asks for a fresh run: that is not the service's own write.
	h.setNow(time.Date(2026, 3, 7, 8, 0, 0, 0, time.UTC))
	h.nb.setField(10, status.FieldStatus, string(status.NotInitialized))
	if h.c.IsOwnRequest("user-request") {
		t.Error("IsOwnRequest is true for a request the service did not make")
	}
	out, err = h.c.ReconcileNow(ctx, 10)
	if err != nil {
		t.Fatalf("third run: %v", err)
	}
	patches := h.nb.patchList()[2:]
	wantFresh := []patch{
		{ID: 10, Fields: map[string]any{status.FieldStatus: "initializing"}, RequestID: "req-3"},
		{ID: 10, Fields: map[string]any{status.FieldStatus: "initialized", status.FieldLastSync: "2026-03-07T08:00:00+00:00"}, RequestID: "req-4"},
	}
	if diff := cmp.Diff(wantFresh, patches); diff != "" {
		t.Errorf("status writes of the fresh run (-want +got):\n%s", diff)
	}
	if out.Result != ResultUnchanged || h.repo.commitCount(repoA) != 1 {
		t.Errorf("fresh run on a laid-out FGD: result %s, %d commits; want unchanged and no new commit", out.Result, h.repo.commitCount(repoA))
	}
	if got, ok := h.c.Result(10); !ok || got.(Outcome).Result != ResultUnchanged {
		t.Errorf("Result(10) = %+v, %v", got, ok)
	}
	if _, ok := h.c.Result(99); ok {
		t.Error("Result of an unknown fabric found")
	}
}

func TestTerminalFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		setup      func(h *harness)
		wantStatus status.Status
		wantError  string // substring of directory_init_error
		wantResult string
		noStatus   bool // nothing can be written (the fabric is gone)
	}{
		{
			name:       "fabric without repository",
			setup:      func(h *harness) { h.nb.addFabric(10, 0, "/", "") },
			wantStatus: status.Error, wantError: "fabric has no git repository", wantResult: ResultFailed,
		},
		{
			name: "repository missing in netbox",
			setup: func(h *harness) {
				h.nb.addFabric(10, 5, "/", "")
			},
			wantStatus: status.Error, wantError: "git repository 5 of the fabric was not found", wantResult: ResultFailed,
		},
		{
			name: "invalid gitops directory",
			setup: func(h *harness) {
				h.nb.addRepo(1, "https://github.com/o/a")
				h.nb.addFabric(10, 1, "gitops/../etc", "")
			},
			wantStatus: status.InvalidStructure, wantError: `".." segment not allowed`, wantResult: ResultFailed,
		},
		{
			name: "unusable repository url",
			setup: func(h *harness) {
				h.nb.addRepo(1, "ftp://github.com/o/a")
				h.nb.addFabric(10, 1, "/", "")
			},
			wantStatus: status.Error, wantError: `the URL of git repository "repo-1" is not usable`, wantResult: ResultFailed,
		},
		{
			name: "auth error from the git host",
			setup: func(h *harness) {
				h.nb.addRepo(1, "https://github.com/o/a")
				h.nb.addFabric(10, 1, "/", "")
				h.repo.errs[repoA] = []error{&gitport.Error{Class: gitport.ClassAuth, Repo: gitport.Repo{Host: "github.com", Owner: "o", Name: "a"}, Op: "get ref heads/main", StatusCode: 401, Message: "Bad credentials"}}
			},
			wantStatus: status.Error, wantError: "github: github.com/o/a: get ref heads/main: 401: Bad credentials", wantResult: ResultFailed,
		},
		{
			name: "protected branch",
			setup: func(h *harness) {
				h.nb.addRepo(1, "https://github.com/o/a")
				h.nb.addFabric(10, 1, "/", "")
				h.repo.errs[repoA] = []error{&gitport.Error{Class: gitport.ClassProtected, Repo: gitport.Repo{Host: "github.com", Owner: "o", Name: "a"}, Op: "update ref heads/main", StatusCode: 422, Message: "Protected branch update failed"}}
			},
			wantStatus: status.Error, wantError: "Protected branch update failed", wantResult: ResultFailed,
		},
		{
			name: "engine error",
			setup: func(h *harness) {
				h.nb.addRepo(1, "https://github.com/o/a")
				h.nb.addFabric(10, 1, "/", "")
				h.eng.planErrs[10] = errBoom
			},
			wantStatus: status.Error, wantError: "Could not plan the GitOps directory", wantResult: ResultFailed,
		},
		{
			name:       "fabric deleted",
			setup:      func(*harness) {},
			noStatus:   true,
			wantResult: ResultDeleted,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			tt.setup(h)
			h.run(t)
			h.c.Enqueue(10, "webhook updated")
			out := h.outcomeFor(t, 10, anyOutcome)
			if out.Result != tt.wantResult {
				t.Errorf("result = %s, want %s (error %q)", out.Result, tt.wantResult, out.Error)
			}
			// Give a retry (1-5ms backoff) ample time to happen, then
			// check that none did.
			time.Sleep(60 * time.Millisecond)
			if n := h.nb.getCount(10); n != 1 {
				t.Errorf("fabric read %d times, want once: a terminal error was retried", n)
			}
			if tt.noStatus {
				if n := len(h.nb.patchList()); n != 0 {
					t.Errorf("%d status writes for a deleted fabric", n)
				}
				return
			}
			st, msg := h.nb.statusOf(10)
			if st != string(tt.wantStatus) || !strings.Contains(msg, tt.wantError) {
				t.Errorf("status = %s %q, want %s containing %q", st, msg, tt.wantStatus, tt.wantError)
			}
			if out.Status != tt.wantStatus {
				t.Errorf("outcome status = %s, want %s", out.Status, tt.wantStatus)
			}
			// The same failure again writes nothing new.
			if tt.name == "auth error from the git host" || tt.name == "protected branch" {
				return // the fake host succeeds the second time
			}
			before := len(h.nb.patchList())
			if _, err := h.c.ReconcileNow(context.Background(), 10); !errors.Is(err, ErrReconcile) {
				t.Errorf("ReconcileNow: %v, want ErrReconcile", err)
			}
			if after := len(h.nb.patchList()); after != before {
				t.Errorf("repeating the same failure wrote the status again (%d -> %d writes)", before, after)
			}
		})
	}
}

func TestRetryableErrorBacksOffAndHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addFabric(10, 1, "/", "")
	h.repo.errs[repoA] = []error{
		&gitport.Error{Class: gitport.ClassRateLimited, Repo: gitport.Repo{Host: "github.com", Owner: "o", Name: "a"}, Op: "create tree", StatusCode: 403, Message: "secondary rate limit", RetryAfter: 100 * time.Millisecond},
		// The same cause again: the status already says so.
		&gitport.Error{Class: gitport.ClassRateLimited, Repo: gitport.Repo{Host: "github.com", Owner: "o", Name: "a"}, Op: "create tree", StatusCode: 403, Message: "secondary rate limit"},
	}
	h.run(t)
	h.c.Enqueue(10, "webhook created")
	out := h.outcomeFor(t, 10, func(o Outcome) bool { return o.Result == ResultCommitted })
	calls := h.repo.callList()
	if len(calls) != 3 {
		t.Fatalf("Apply calls = %d, want 3 (rate limited twice, then success)", len(calls))
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < 100*time.Millisecond {
		t.Errorf("retried %s after a rate limit with RetryAfter 100ms", gap)
	}
	if st, msg := h.nb.statusOf(10); st != "initialized" || msg != "" {
		t.Errorf("status = %s %q, want initialized and no error", st, msg)
	}
	if out.Error != "" {
		t.Errorf("outcome error = %q after success", out.Error)
	}
	// While it retried, the status said so once, not once per attempt.
	var errorWrites int
	for _, p := range h.nb.patchList() {
		if p.Fields[status.FieldStatus] == "error" {
			errorWrites++
			if msg, _ := p.Fields[status.FieldError].(string); !strings.Contains(msg, "will retry") {
				t.Errorf("retryable error message %q does not say it will retry", msg)
			}
		}
	}
	if errorWrites != 1 {
		t.Errorf("error status written %d times, want once", errorWrites)
	}
}

func TestNetBoxReadErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addFabric(10, 1, "/", "")
	h.nb.addFabric(11, 1, "/x", "")
	h.nb.getErrs[10] = []error{&netbox.APIError{Method: "GET", Path: "/api/plugins/hedgehog/fabrics/10/", StatusCode: 503}}
	h.nb.getErrs[11] = []error{&netbox.APIError{Method: "GET", Path: "/api/plugins/hedgehog/fabrics/11/", StatusCode: 403, Detail: "Invalid token"}}
	h.run(t)
	h.c.Enqueue(10, "webhook")
	h.c.Enqueue(11, "webhook")
	h.outcomeFor(t, 10, func(o Outcome) bool { return o.Result == ResultCommitted })
	out := h.outcomeFor(t, 11, anyOutcome)
	time.Sleep(30 * time.Millisecond)
	if out.Result != ResultFailed || h.nb.getCount(11) != 1 {
		t.Errorf("auth error: result %s after %d reads, want failed after 1", out.Result, h.nb.getCount(11))
	}
	if h.nb.getCount(10) != 2 {
		t.Errorf("503: %d reads, want 2 (retried once)", h.nb.getCount(10))
	}
}

// Fabrics of one repository and branch that wait together become one
// commit; another repository gets its own.
func TestBatchOneCommitPerRepository(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *Options) { o.BatchWindow = 50 * time.Millisecond })
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addRepo(2, "https://github.com/o/b")
	h.nb.addFabric(1, 1, "/fab/one", "")
	h.nb.addFabric(2, 1, "fab/two", "")
	h.nb.addFabric(3, 1, "/", "")
	h.nb.addFabric(4, 2, "/", "")
	h.repo.put(repoA, "fab/one/raw/x.yaml", "kind: Switch\n")
	h.run(t)
	h.c.EnqueueRequest(1, "webhook created", "9f1c")
	h.c.Enqueue(2, "webhook created")
	h.c.EnqueueRequest(3, "webhook created", "77ab")
	h.c.Enqueue(4, "webhook created")
	for id := int64(1); id <= 4; id++ {
		h.outcomeFor(t, id, func(o Outcome) bool { return o.Result == ResultCommitted })
	}
	calls := h.repo.callList()
	byKey := map[string][]applyCall{}
	for _, c := range calls {
		byKey[c.Key] = append(byKey[c.Key], c)
	}
	if len(byKey[repoA]) != 1 || len(byKey[repoB]) != 1 {
		t.Fatalf("Apply calls per repository = %d (a), %d (b); want 1 and 1", len(byKey[repoA]), len(byKey[repoB]))
	}
	a := byKey[repoA][0]
	if diff := cmp.Diff([]string{"fab/one", "fab/two", ""}, a.Dirs); diff != "" {
		t.Errorf("dirs (-want +got):\n%s", diff)
	}
	var paths []string
	for _, ch := range a.Proposal.Changes {
		paths = append(paths, string(ch.Op)+" "+ch.Path)
	}
	wantPaths := []string{
		"create fab/one/README.md", "create fab/one/managed/x.yaml", "delete fab/one/raw/x.yaml",
		"create fab/two/README.md",
		"create README.md",
	}
	if diff := cmp.Diff(wantPaths, paths); diff != "" {
		t.Errorf("merged changes (-want +got):\n%s", diff)
	}
	wantMsg := `Reconcile GitOps directories for 3 fabrics: fabric-1, fabric-2, fabric-3

Fabric fabric-1 (fab/one): Initialize GitOps directory for fabric fabric-1
3 files changed.
Documents: 1 managed.

Fabric fabric-2 (fab/two): Initialize GitOps directory for fabric fabric-2
1 files changed.
Documents: 0 managed.

Fabric fabric-3 (/): Initialize GitOps directory for fabric fabric-3
1 files changed.
Documents: 0 managed.

NetBox-Object: netbox_hedgehog.hedgehogfabric:1
NetBox-Object: netbox_hedgehog.hedgehogfabric:2
NetBox-Object: netbox_hedgehog.hedgehogfabric:3
NetBox-Request-ID: 9f1c
NetBox-Request-ID: 77ab
`
	if diff := cmp.Diff(wantMsg, a.Proposal.Message); diff != "" {
		t.Errorf("commit message (-want +got):\n%s", diff)
	}
	if h.repo.commitCount(repoA) != 1 {
		t.Errorf("commits on a = %d, want 1", h.repo.commitCount(repoA))
	}
	for id := int64(1); id <= 3; id++ {
		o, _ := h.c.LastOutcome(id)
		if o.BatchSize != 3 || o.CommitURL != "https://github.com/o/a/commit/"+repoA+"-c1" {
			t.Errorf("fabric %d: batch %d, commit %q", id, o.BatchSize, o.CommitURL)
		}
	}
	// The engine saw each fabric's own settings.
	for _, in := range h.eng.planInputs() {
		if in.DefaultArchiveStrategy != "delete" || in.ParentCommit == "" || in.FabricName == "" {
			t.Errorf("plan input %+v lacks settings", in)
		}
	}
}

// A key added while its reconcile is in flight runs exactly once more.
func TestReAddWhileInFlightRunsOnceMore(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	h := newHarness(t, func(o *Options) { o.BatchWindow = -1 })
	h.repo.gate = func(ctx context.Context, _ string) error {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addFabric(10, 1, "/", "")
	h.run(t)
	h.c.Enqueue(10, "webhook")
	<-entered
	for range 5 {
		h.c.Enqueue(10, "webhook again")
	}
	close(release)
	<-entered
	waitFor(t, "the second run's outcome", func() bool { return h.nb.getCount(10) == 2 && h.c.Len() == 0 && len(h.repo.callList()) == 2 })
	time.Sleep(40 * time.Millisecond)
	if n := len(h.repo.callList()); n != 2 {
		t.Errorf("Apply calls = %d, want 2 (the first and exactly one more)", n)
	}
}

// Never two writers on one repository and branch; different repositories
// are written in parallel.
func TestOneWriterPerRepositoryParallelAcrossRepositories(t *testing.T) {
	t.Parallel()
	var bothIn sync.WaitGroup
	bothIn.Add(2)
	var first sync.Map
	h := newHarness(t, func(o *Options) {
		o.Workers = 8
		o.BatchWindow = time.Millisecond
		o.MaxBatch = 3
	})
	h.repo.delay = 3 * time.Millisecond
	h.repo.gate = func(ctx context.Context, key string) error {
		// The first Apply of each of a and b waits for the other one: it
		// only returns in time if the two run at once.
		if _, loaded := first.LoadOrStore(key, true); !loaded && (key == repoA || key == repoB) {
			bothIn.Done()
			done := make(chan struct{})
			go func() { bothIn.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				return errors.New("the other repository's writer never ran alongside")
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	repos := []string{"a", "b", "c", "d"}
	for i, r := range repos {
		h.nb.addRepo(int64(i+1), "https://github.com/o/"+r)
	}
	for id := int64(1); id <= 40; id++ {
		h.nb.addFabric(id, (id%4)+1, "dir"+string(rune('a'+id%7))+"/"+string(rune('a'+id%11)), "")
	}
	h.run(t)
	for id := int64(1); id <= 40; id++ {
		h.c.Enqueue(id, "burst")
	}
	for id := int64(1); id <= 40; id++ {
		h.outcomeFor(t, id, func(o Outcome) bool { return o.Result == ResultCommitted || o.Result == ResultUnchanged })
	}
	if ov := h.repo.overlaps(); len(ov) > 0 {
		t.Errorf("two writers at once on %v", ov)
	}
	for _, c := range h.repo.callList() {
		if c.Proposal.Message == "" && len(c.Proposal.Changes) > 0 {
			t.Errorf("proposal without message: %+v", c)
		}
	}
	total := 0
	for _, r := range repos {
		total += h.repo.commitCount("github.com/o/" + r + "@main")
	}
	if total >= 40 {
		t.Errorf("%d commits for 40 fabrics: nothing was batched", total)
	}
}

func TestConflictCommitsTheRestAndReportsError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addFabric(10, 1, "/", "")
	h.repo.put(repoA, "raw/conflict.yaml", "kind: Switch\n")
	h.repo.put(repoA, "raw/ok.yaml", "kind: VPC\n")
	out, err := h.c.ReconcileNow(context.Background(), 10)
	if !errors.Is(err, ErrReconcile) {
		t.Errorf("ReconcileNow: %v, want ErrReconcile: the fabric did not end initialized", err)
	}
	if out.Result != ResultCommitted || len(out.Conflicts) != 1 {
		t.Errorf("outcome = %+v, want committed with one conflict", out)
	}
	st, msg := h.nb.statusOf(10)
	if st != "error" || !strings.Contains(msg, "Switch/dup twice in raw/conflict.yaml") {
		t.Errorf("status = %s %q, want error naming the conflict", st, msg)
	}
	if h.nb.field(10, status.FieldCommitURL) == "" {
		t.Error("commit URL not written although the rest was committed")
	}
	// Nothing changed since: no commit, no status write.
	n := len(h.nb.patchList())
	if _, err := h.c.ReconcileNow(context.Background(), 10); !errors.Is(err, ErrReconcile) {
		t.Errorf("second run: %v, want ErrReconcile", err)
	}
	if len(h.nb.patchList()) != n || h.repo.commitCount(repoA) != 1 {
		t.Errorf("second run wrote %d statuses and made %d commits; want none and still 1", len(h.nb.patchList())-n, h.repo.commitCount(repoA))
	}
}

// A CR that fails its schema is committed to unmanaged/ and reported in
// the status (field path and message); the report stays while nothing
// changes, and goes when the user asks for a fresh run.
func TestSchemaFailureIsReportedAndKept(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addFabric(10, 1, "/", "")
	h.repo.put(repoA, "raw/invalid.yaml", "kind: VPC\n")
	h.repo.put(repoA, "raw/ok.yaml", "kind: VPC\n")
	out, err := h.c.ReconcileNow(context.Background(), 10)
	if !errors.Is(err, ErrReconcile) {
		t.Errorf("ReconcileNow: %v, want ErrReconcile: the fabric did not end initialized", err)
	}
	if out.Result != ResultCommitted || len(out.Rejected) != 1 {
		t.Errorf("outcome = %+v, want committed with one rejected document", out)
	}
	st, msg := h.nb.statusOf(10)
	want := schemaLead + `raw/invalid.yaml#0 VPC bad: fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz". Correct them and move them back into raw/. The rest of the directory was reconciled.`
	if st != "error" || msg != want {
		t.Errorf("status = %s %q, want error %q", st, msg, want)
	}
	if out.Error != want {
		t.Errorf("Outcome.Error = %q, want the status text", out.Error)
	}
	n := len(h.nb.patchList())
	if _, err := h.c.ReconcileNow(context.Background(), 10); !errors.Is(err, ErrReconcile) {
		t.Errorf("second run: %v, want ErrReconcile: the report stays", err)
	}
	if len(h.nb.patchList()) != n || h.repo.commitCount(repoA) != 1 {
		t.Errorf("second run wrote %d statuses and made %d commits; want none and still 1", len(h.nb.patchList())-n, h.repo.commitCount(repoA))
	}
	if st, msg2 := h.nb.statusOf(10); st != "error" || msg2 != want {
		t.Errorf("after the no-op: status = %s %q, want the report kept", st, msg2)
	}
	h.nb.setField(10, status.FieldStatus, string(status.NotInitialized))
	if _, err := h.c.ReconcileNow(context.Background(), 10); err != nil {
		t.Errorf("run after not_initialized: %v", err)
	}
	if st, msg := h.nb.statusOf(10); st != "initialized" || msg != "" {
		t.Errorf("after the user asked again: status = %s %q, want initialized without error", st, msg)
	}
}

func TestPlanErrorOfOneFabricDoesNotBlockTheBatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *Options) { o.BatchWindow = 40 * time.Millisecond })
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addFabric(1, 1, "one", "")
	h.nb.addFabric(2, 1, "two", "")
	h.eng.planErrs[2] = errBoom
	h.run(t)
	h.c.Enqueue(1, "webhook")
	h.c.Enqueue(2, "webhook")
	one := h.outcomeFor(t, 1, anyOutcome)
	two := h.outcomeFor(t, 2, anyOutcome)
	if one.Result != ResultCommitted || two.Result != ResultFailed {
		t.Errorf("results = %s, %s; want committed, failed", one.Result, two.Result)
	}
	if st, _ := h.nb.statusOf(2); st != "error" {
		t.Errorf("status of the failed fabric = %s", st)
	}
}

func TestStatusWriteFailureIsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addFabric(10, 1, "/", status.Error)
	h.nb.patchErr = []error{&netbox.APIError{Method: "PATCH", StatusCode: 502}}
	h.run(t)
	h.c.Enqueue(10, "resync")
	h.outcomeFor(t, 10, func(o Outcome) bool { return o.Status == status.Initialized })
	if h.repo.commitCount(repoA) != 1 {
		t.Errorf("commits = %d, want 1: the retry after the failed status write must be a no-op", h.repo.commitCount(repoA))
	}
	if st, _ := h.nb.statusOf(10); st != "initialized" {
		t.Errorf("status = %s, want initialized", st)
	}
}

// Real HNP 705549aa refuses any PATCH of a fabric whose JSON fields hold
// their defaults (docs/real-netbox.md, hypothesis 1): the directory is
// reconciled anyway, the outcome says why the status is missing, and the
// write is retried until NetBox takes it.
func TestStatusRefusedStillReconcilesAndRetries(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addFabric(10, 1, "/", "")
	blank := func() error {
		return &netbox.APIError{Method: "PATCH", StatusCode: 400, Fields: map[string][]string{
			"scheduler_metadata": {"This field cannot be blank."},
			"active_sync_tasks":  {"This field cannot be blank."},
		}}
	}
	// initializing, then the final status, then the first retry's writes.
	h.nb.patchErr = []error{blank(), blank(), blank(), blank()}
	h.run(t)
	h.c.Enqueue(10, "webhook")
	first := h.outcomeFor(t, 10, anyOutcome)
	if first.Result != ResultCommitted || !strings.Contains(first.StatusWriteError, "blank=True") ||
		!strings.Contains(first.StatusWriteError, "docs/install.md#hnp-prerequisites") {
		t.Errorf("first outcome = %+v; want committed with a status write error naming the HNP patch", first)
	}
	h.outcomeFor(t, 10, func(o Outcome) bool { return o.Status == status.Initialized && o.StatusWriteError == "" })
	if n := h.repo.commitCount(repoA); n != 1 {
		t.Errorf("commits = %d, want 1: retrying the status write must not commit again", n)
	}
	if st, _ := h.nb.statusOf(10); st != "initialized" {
		t.Errorf("status = %s, want initialized once NetBox takes the write", st)
	}
}

func TestNoTokenInStatusOrLogs(t *testing.T) {
	t.Parallel()
	const secret = "ghp_SECRETTOKEN123"
	var logs testkit.SyncBuffer
	h := newHarness(t, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		// A careless parser that echoes the URL it got.
		o.ParseURL = func(raw string) (gitport.Repo, error) {
			return gitport.Repo{}, errors.New("cannot parse " + raw)
		}
	})
	h.nb.addRepo(1, "https://x-access-token:"+secret+"@github.com/o/a.git")
	h.nb.addFabric(10, 1, "/", "")
	out, _ := h.c.ReconcileNow(context.Background(), 10)
	_, msg := h.nb.statusOf(10)
	for where, s := range map[string]string{"status": msg, "outcome": out.Error, "logs": logs.String()} {
		if strings.Contains(s, secret) || strings.Contains(s, "x-access-token") {
			t.Errorf("%s contains the credentials: %s", where, s)
		}
	}
	if !strings.Contains(msg, "https://github.com/o/a.git") {
		t.Errorf("status %q lost the redacted URL", msg)
	}
}

func TestShutdownDrains(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		block       bool // Apply ignores everything but its context
		wantResult  string
		maxDuration time.Duration
	}{
		{name: "in-flight reconcile finishes", block: false, wantResult: ResultCommitted, maxDuration: 2 * time.Second},
		{name: "stuck reconcile abandoned at the drain timeout", block: true, wantResult: ResultRetry, maxDuration: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			entered := make(chan struct{})
			var once sync.Once
			var sawCancel atomic.Bool
			h := newHarness(t, func(o *Options) {
				o.DrainTimeout = 100 * time.Millisecond
				o.BatchWindow = -1
			})
			h.repo.gate = func(ctx context.Context, _ string) error {
				once.Do(func() { close(entered) })
				if tt.block {
					<-ctx.Done()
					sawCancel.Store(true)
					return ctx.Err()
				}
				time.Sleep(50 * time.Millisecond)
				return nil
			}
			h.nb.addRepo(1, "https://github.com/o/a")
			h.nb.addFabric(10, 1, "/", "")
			h.nb.addFabric(11, 1, "/x", "") // waiting: dropped at shutdown
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- h.c.Run(ctx) }()
			h.c.Enqueue(10, "webhook")
			<-entered
			h.c.Enqueue(11, "webhook")
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
			case <-time.After(tt.maxDuration):
				t.Fatalf("Run did not return within %s", tt.maxDuration)
			}
			if d := time.Since(start); d > tt.maxDuration {
				t.Errorf("drain took %s", d)
			}
			o, ok := h.c.LastOutcome(10)
			if !ok || o.Result != tt.wantResult {
				t.Errorf("outcome of the in-flight fabric = %+v, want %s", o, tt.wantResult)
			}
			if tt.block && !sawCancel.Load() {
				t.Error("the stuck reconcile's context was never cancelled")
			}
			if h.c.Len() != 0 {
				t.Errorf("Len = %d after shutdown", h.c.Len())
			}
			if err := h.c.Run(context.Background()); !errors.Is(err, ErrStarted) {
				t.Errorf("second Run: %v, want ErrStarted", err)
			}
		})
	}
}

func TestCommitMessageSingleFabric(t *testing.T) {
	t.Parallel()
	got := commitMessage([]messagePart{{
		id: 4, name: "fabric-1", dir: "gitops/hedgehog/fabric-1", requests: []string{"abc", "abc", "evil\nNetBox-Object: x"},
		plan: DirPlan{
			Summary:   "Ingest 48 documents for fabric fabric-1",
			Body:      []string{"48 documents: 48 managed, 0 unmanaged.", "3 source files removed from raw/."},
			Changes:   make([]fgd.Change, 3),
			Conflicts: []string{"Switch s1 twice"},
		},
	}})
	want := `Ingest 48 documents for fabric fabric-1

48 documents: 48 managed, 0 unmanaged.
3 source files removed from raw/.

NetBox-Object: netbox_hedgehog.hedgehogfabric:4
NetBox-Request-ID: abc
NetBox-Request-ID: evil NetBox-Object: x
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
}

func TestCommitMessageManyFabricsSummaryIsBounded(t *testing.T) {
	t.Parallel()
	var parts []messagePart
	for i := range 8 {
		parts = append(parts, messagePart{id: int64(i + 1), name: "f" + string(rune('0'+i)), plan: DirPlan{Summary: "s"}})
	}
	first := strings.SplitN(commitMessage(parts), "\n", 2)[0]
	if want := "Reconcile GitOps directories for 8 fabrics: f0, f1, f2, f3, f4 and 3 more"; first != want {
		t.Errorf("summary = %q, want %q", first, want)
	}
}

func TestSameValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, field, read, want string
		same                    bool
	}{
		{"equal", status.FieldStatus, "initialized", "initialized", true},
		{"different", status.FieldStatus, "error", "initialized", false},
		{"whitespace", status.FieldError, "boom\n", "boom", true},
		{"datetime Z form", status.FieldLastSync, "2026-03-06T15:11:23Z", "2026-03-06T15:11:23+00:00", true},
		{"datetime later", status.FieldLastSync, "2026-03-06T15:11:23Z", "2026-03-06T15:11:24+00:00", false},
		{"empty datetime", status.FieldLastSync, "", "2026-03-06T15:11:24+00:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := sameValue(tt.field, tt.read, tt.want); got != tt.same {
				t.Errorf("sameValue(%q, %q, %q) = %v, want %v", tt.field, tt.read, tt.want, got, tt.same)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"userinfo", "cannot parse https://user:tok@github.com/o/r", "cannot parse https://github.com/o/r"},
		{"token only", "ssh://tok@host/o/r and http://a:b@c/d", "ssh://host/o/r and http://c/d"},
		{"nothing", "github: github.com/o/r: 404", "github: github.com/o/r: 404"},
		{"scp form kept", "git@github.com:o/r.git", "git@github.com:o/r.git"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := redact(tt.in); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       error
		wantRetry bool
		wantAfter time.Duration
	}{
		{"rate limited", &gitport.Error{Class: gitport.ClassRateLimited, RetryAfter: time.Minute}, true, time.Minute},
		{"conflict", &gitport.Error{Class: gitport.ClassConflict}, true, 0},
		{"transient", &gitport.Error{Class: gitport.ClassTransient}, true, 0},
		{"auth", &gitport.Error{Class: gitport.ClassAuth}, false, 0},
		{"not found", &gitport.Error{Class: gitport.ClassNotFound}, false, 0},
		{"protected", &gitport.Error{Class: gitport.ClassProtected}, false, 0},
		{"netbox 503", &netbox.APIError{StatusCode: 503}, true, 0},
		{"netbox 400", &netbox.APIError{StatusCode: 400}, false, 0},
		{"network", errors.New("dial tcp: connection refused"), true, 0},
		{"terminal", terminalError{errBoom}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			retry, after := classify(tt.err)
			if retry != tt.wantRetry || after != tt.wantAfter {
				t.Errorf("classify = %v, %s; want %v, %s", retry, after, tt.wantRetry, tt.wantAfter)
			}
		})
	}
}
