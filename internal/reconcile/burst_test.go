package reconcile

import (
	"fmt"
	"testing"
	"time"
)

// The targets' burst: 500 fabrics across 5 repositories created at once.
// Every one ends initialized, with a handful of commits per repository and
// never two writers on one branch. Apply takes 10ms, like a fast git host.
func TestBurst500FabricsFiveRepositories(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *Options) {
		o.Workers = 4
		o.BatchWindow = 20 * time.Millisecond
	})
	h.repo.delay = 10 * time.Millisecond
	for r := int64(1); r <= 5; r++ {
		h.nb.addRepo(r, fmt.Sprintf("https://github.com/o/r%d", r))
	}
	for id := int64(1); id <= 500; id++ {
		h.nb.addFabric(id, id%5+1, fmt.Sprintf("fabrics/f%d", id), "")
	}
	h.run(t)
	start := time.Now()
	for id := int64(1); id <= 500; id++ {
		h.c.Enqueue(id, "webhook created")
	}
	for id := int64(1); id <= 500; id++ {
		o := h.outcomeFor(t, id, anyOutcome)
		if o.Result != ResultCommitted || o.Status != "initialized" {
			t.Fatalf("fabric %d: %+v", id, o)
		}
	}
	elapsed := time.Since(start)
	if ov := h.repo.overlaps(); len(ov) > 0 {
		t.Errorf("two writers at once on %v", ov)
	}
	var commits []int
	for r := 1; r <= 5; r++ {
		n := h.repo.commitCount(fmt.Sprintf("github.com/o/r%d@main", r))
		commits = append(commits, n)
		if n > 10 {
			t.Errorf("repository r%d: %d commits for 100 fabrics, want a handful", r, n)
		}
	}
	t.Logf("500 fabrics, 5 repositories: %v commits per repository in %s", commits, elapsed)
}
