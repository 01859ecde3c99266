package reconcile

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

func (n *fakeNetBox) listFilters() []int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]int64(nil), n.listed...)
}

// A repository change queues exactly the fabrics on that repository, and
// they land in one commit that names the request id.
func TestEnqueueRepositoryQueuesItsFabricsInOneCommit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *Options) { o.BatchWindow = 50 * time.Millisecond })
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addRepo(2, "https://github.com/o/b")
	h.nb.addFabric(1, 1, "fab/one", status.Initialized)
	h.nb.addFabric(2, 1, "fab/two", status.Initialized)
	h.nb.addFabric(3, 2, "/", status.Initialized)
	h.run(t)
	h.c.EnqueueRepository(1, "webhook repository updated", "r-repo")
	for id := int64(1); id <= 2; id++ {
		h.outcomeFor(t, id, func(o Outcome) bool { return o.Result == ResultCommitted })
	}
	if got := h.repo.commitCount(repoA); got != 1 {
		t.Errorf("commits on a = %d, want 1", got)
	}
	calls := h.repo.callList()
	if len(calls) != 1 {
		t.Fatalf("Apply calls = %d, want 1: %+v", len(calls), calls)
	}
	if msg := calls[0].Proposal.Message; !strings.Contains(msg, "NetBox-Request-ID: r-repo\n") {
		t.Errorf("commit message lacks the request id:\n%s", msg)
	}
	if _, ok := h.c.LastOutcome(3); ok {
		t.Error("fabric 3 on another repository was reconciled")
	}
	if diff := cmp.Diff([]int64{1}, h.nb.listFilters()); diff != "" {
		t.Errorf("list filters (-want +got):\n%s", diff)
	}
}

// EnqueueRepository before Run is kept and done when Run starts; it never
// calls NetBox on the caller's goroutine.
func TestEnqueueRepositoryBeforeRunDoesNotCallNetBox(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addFabric(1, 1, "/", status.Initialized)
	gate := make(chan struct{})
	h.nb.listGate = gate
	done := make(chan struct{})
	go func() {
		h.c.EnqueueRepository(1, "webhook repository updated", "")
		h.c.EnqueueRepository(1, "webhook repository updated", "") // deduplicated
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("EnqueueRepository blocked")
	}
	if n := len(h.nb.listFilters()); n != 0 {
		t.Fatalf("ListFabrics called %d times before Run", n)
	}
	h.run(t)
	gate <- struct{}{}
	h.outcomeFor(t, 1, func(o Outcome) bool { return o.Result == ResultCommitted })
	if n := len(h.nb.listFilters()); n != 1 {
		t.Errorf("ListFabrics called %d times, want 1 (deduplicated)", n)
	}
}

// A failed listing is logged and does not stop later ones; a listing that
// answers a fabric of another repository (a filter NetBox ignored) does
// not queue it.
func TestEnqueueRepositoryListErrorAndUnfilteredAnswer(t *testing.T) {
	t.Parallel()
	logs := &testkit.SyncBuffer{}
	h := newHarness(t, func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(logs, nil)) })
	h.nb.addRepo(1, "https://github.com/o/a")
	h.nb.addFabric(1, 1, "/", status.Initialized)
	h.nb.listErr = []error{errors.New("netbox: 502 Bad Gateway")}
	h.run(t)
	h.c.EnqueueRepository(1, "webhook repository updated", "")
	waitWithin(t, 5*time.Second, "the failed listing logged", func() bool {
		return strings.Contains(logs.String(), "listing the fabrics of a changed repository failed")
	})
	if _, ok := h.c.LastOutcome(1); ok {
		t.Error("fabric 1 reconciled although the listing failed")
	}
	h.c.EnqueueRepository(1, "webhook repository updated", "")
	h.outcomeFor(t, 1, func(o Outcome) bool { return o.Result == ResultCommitted })

	// fanOutRepository checks the answer, not only the filter.
	other := newHarness(t, nil)
	other.nb.addFabric(7, 2, "/", status.Initialized)
	other.c.fanOutRepository(t.Context(), 1, repoChange{reason: "x"})
	if got := queued(other.c); len(got) != 0 {
		t.Errorf("queued %v for a fabric of another repository", got)
	}
}

// The waiting set is bounded; beyond it a change is left to the resync.
func TestRepoFanoutBounded(t *testing.T) {
	t.Parallel()
	r := newRepoFanout()
	for i := range int64(maxPendingRepositories) {
		if !r.add(i, repoChange{}) {
			t.Fatalf("add %d refused below the bound", i)
		}
	}
	if !r.add(0, repoChange{reason: "again"}) {
		t.Error("a repository already waiting was refused")
	}
	if r.add(maxPendingRepositories, repoChange{}) {
		t.Error("add beyond the bound accepted")
	}
	id, ch, ok := r.take()
	if !ok || id != 0 || ch.reason != "again" {
		t.Errorf("take = %d %+v %v, want 0 with the latest change", id, ch, ok)
	}
}
