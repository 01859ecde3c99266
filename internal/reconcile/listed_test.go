package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/status"
)

// layOut gives fabric id on repository key the FGD the fake engine wants,
// so that reconciling it changes nothing.
func layOut(h *harness, key string, id int64, dir string) {
	h.repo.put(key, dir+"/README.md", fmt.Sprintf("fabric fabric-%d\n", id))
}

func (n *fakeNetBox) totalGets() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	total := 0
	for _, c := range n.gets {
		total += c
	}
	return total
}

func (n *fakeNetBox) counts() (repoGets, lists, repoLists int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.repoGets, n.lists, n.repoLists
}

// A full resync of N initialized fabrics whose FGDs are in their target
// state, on M repository branches (two of them branches of one
// repository), reads the fabric list and the repository list once each,
// no fabric or repository on its own, makes exactly one Apply (one tree
// read) per branch with all of its fabrics, and writes nothing.
func TestFullResyncReadsEachBranchOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.nb.addRepo(1, "https://github.com/o/a.git")
	h.nb.addRepo(2, "https://github.com/o/b.git")
	h.nb.addRepo(3, "https://github.com/o/a.git")
	h.nb.repos[3].DefaultBranch = "dev"
	keys := map[int64]string{1: repoA, 2: repoB, 3: "github.com/o/a@dev"}
	const perBranch = 10
	want := map[string][]string{}
	var ids []int64
	for i := range 3 * perBranch {
		id, repo := int64(100+i), int64(1+i%3)
		dir := fmt.Sprintf("fabrics/f-%d", id)
		h.nb.addFabric(id, repo, "/"+dir+"/", status.Initialized)
		layOut(h, keys[repo], id, dir)
		want[keys[repo]] = append(want[keys[repo]], dir)
		ids = append(ids, id)
	}
	h.run(t)
	n, err := h.c.Resync(context.Background(), true)
	if err != nil || n != len(ids) {
		t.Fatalf("Resync: %d, %v; want %d queued", n, err, len(ids))
	}
	for _, id := range ids {
		h.outcomeFor(t, id, func(o Outcome) bool { return o.Result == ResultUnchanged })
	}
	got := map[string][]string{}
	for _, c := range h.repo.callList() {
		if _, twice := got[c.Key]; twice {
			t.Errorf("%s applied twice", c.Key)
		}
		got[c.Key] = append([]string(nil), c.Dirs...)
		sort.Strings(got[c.Key])
	}
	for k := range want {
		sort.Strings(want[k])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("one Apply per branch with all its fabrics (-want +got):\n%s", diff)
	}
	for _, k := range keys {
		if c := h.repo.commitCount(k); c != 0 {
			t.Errorf("%s: %d commits, want 0", k, c)
		}
	}
	if p := h.nb.patchList(); len(p) != 0 {
		t.Errorf("status writes %v, want none", p)
	}
	repoGets, lists, repoLists := h.nb.counts()
	if g := h.nb.totalGets(); g != 0 || repoGets != 0 || lists != 1 || repoLists != 1 {
		t.Errorf("NetBox: %d fabric GETs, %d repository GETs, %d fabric lists, %d repository lists; want 0, 0, 1, 1",
			g, repoGets, lists, repoLists)
	}
}

// What the lists cannot settle goes the ordinary way, where a worker reads
// the fabric fresh and writes the status that explains it: a fabric whose
// repository is not listed, an invalid directory, a key the queue already
// holds; and every fabric when the repository list cannot be read.
func TestResyncFallsBackToReadingTheFabric(t *testing.T) {
	t.Parallel()
	t.Run("unlisted repository, invalid directory, known key", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.nb.addRepo(1, "https://github.com/o/a.git")
		h.nb.addFabric(1, 1, "/ok/", status.Initialized)
		layOut(h, repoA, 1, "ok")
		h.nb.addFabric(2, 9, "/gone/", status.Initialized)
		h.nb.addFabric(3, 1, "/../up/", status.Initialized)
		h.nb.addFabric(4, 1, "/hinted/", status.Initialized)
		layOut(h, repoA, 4, "hinted")
		h.c.Enqueue(4, "webhook")
		if _, err := h.c.Resync(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		h.run(t)
		h.outcomeFor(t, 1, func(o Outcome) bool { return o.Result == ResultUnchanged })
		h.outcomeFor(t, 4, func(o Outcome) bool { return o.Result == ResultUnchanged })
		h.outcomeFor(t, 2, func(o Outcome) bool { return o.Result == ResultFailed })
		h.outcomeFor(t, 3, func(o Outcome) bool { return o.Result == ResultFailed })
		for id, reads := range map[int64]int{1: 0, 2: 1, 3: 1, 4: 1} {
			if g := h.nb.getCount(id); g != reads {
				t.Errorf("fabric %d read %d times, want %d", id, g, reads)
			}
		}
		if st, _ := h.nb.statusOf(2); st != string(status.Error) {
			t.Errorf("fabric 2 (repository not in NetBox): status %q, want error", st)
		}
		if st, _ := h.nb.statusOf(3); st != string(status.InvalidStructure) {
			t.Errorf("fabric 3 (invalid directory): status %q, want invalid_structure", st)
		}
	})
	t.Run("repository list fails", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.nb.repoListErr = []error{errors.New("netbox: 502 Bad Gateway")}
		h.nb.addRepo(1, "https://github.com/o/a.git")
		for id := int64(1); id <= 3; id++ {
			h.nb.addFabric(id, 1, fmt.Sprintf("/f%d/", id), status.Initialized)
			layOut(h, repoA, id, fmt.Sprintf("f%d", id))
		}
		h.run(t)
		if n, err := h.c.Resync(context.Background(), true); err != nil || n != 3 {
			t.Fatalf("Resync: %d, %v", n, err)
		}
		for id := int64(1); id <= 3; id++ {
			h.outcomeFor(t, id, func(o Outcome) bool { return o.Result == ResultUnchanged })
			if g := h.nb.getCount(id); g != 1 {
				t.Errorf("fabric %d read %d times, want 1", id, g)
			}
		}
	})
}

// A fabric parked by a resync and hinted again (a webhook) while in flight
// runs exactly once more, and that run reads it fresh: the resync's list
// never stands in for a webhook's re-read.
func TestWebhookDuringListedRunReadsFresh(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.nb.addRepo(1, "https://github.com/o/a.git")
	h.nb.addFabric(1, 1, "/f/", status.Initialized)
	layOut(h, repoA, 1, "f")
	if _, err := h.c.Resync(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	h.c.Enqueue(1, "webhook") // in flight (parked): marked to run once more
	h.run(t)
	waitFor(t, "two runs", func() bool { return len(h.repo.callList()) == 2 && h.c.Len() == 0 })
	if g := h.nb.getCount(1); g != 1 {
		t.Errorf("fabric read %d times, want 1 (the webhook's run)", g)
	}
}

// Fabrics a resync parked count as waiting (queue depth and oldest age,
// which the backlog alert watches) until a writer takes them.
func TestParkedFabricsCountAsWaiting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.nb.addRepo(1, "https://github.com/o/a.git")
	for id := int64(1); id <= 3; id++ {
		h.nb.addFabric(id, 1, fmt.Sprintf("/f%d/", id), status.Initialized)
	}
	if _, err := h.c.Resync(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if n := h.c.Len(); n != 3 {
		t.Errorf("Len = %d after parking 3 fabrics, want 3", n)
	}
	waitFor(t, "an age", func() bool { return h.c.OldestAge() > 0 })
	h.run(t)
	waitFor(t, "the batch written", func() bool { return h.c.Len() == 0 && len(h.repo.callList()) == 1 })
}
