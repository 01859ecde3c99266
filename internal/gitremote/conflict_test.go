package gitremote_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// Another writer pushes between Apply's read and its push: the first push
// is refused (Apply sees the branch moved, or the server refuses the stale
// old value), Apply fetches again, re-plans on the new head, and its commit
// lands on top with the other commit still in history.
func TestApplyConcurrentWriter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// during is where the other writer lands: "plan" while Apply
		// plans (seen in the receive-pack advertisement), "receive" after
		// the advertisement, just before git receives the push (refused by
		// the server's compare-and-swap).
		during string
	}{
		{name: "moved while planning", during: "plan"},
		{name: "moved just before the push is received", during: "receive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			seed := e.seedAcceptance(t)
			var other string
			otherWrite := func() {
				other = commitFiles(t, e.bare, "main", map[string][]byte{"other.txt": []byte("someone else\n")}, "Concurrent change")
			}
			plans := 0
			var heads []string
			plan := func(head string, dirs map[string]fgd.Snapshot) (gitport.Proposal, error) {
				plans++
				heads = append(heads, head)
				if plans == 1 && tc.during == "plan" {
					otherWrite()
				}
				return testkit.EnginePlan(head, dirs)
			}
			if tc.during == "receive" {
				e.srv.mu.Lock()
				e.srv.beforeReceive = otherWrite
				e.srv.mu.Unlock()
			}
			res, err := e.apply(t, gitport.Target{}, plan)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !res.Changed || res.Attempts != 2 || plans != 2 {
				t.Errorf("Changed=%v Attempts=%d plans=%d, want true 2 2", res.Changed, res.Attempts, plans)
			}
			if len(heads) == 2 && (heads[0] != seed || heads[1] != other) {
				t.Errorf("planned on %v, want [%s %s]", heads, seed, other)
			}
			log := testkit.GitLog(t, e.bare, "main")
			if len(log) != 3 || !strings.HasPrefix(log[0], res.Head+" ") || !strings.HasSuffix(log[0], "|"+other) ||
				!strings.HasPrefix(log[1], other+" Someone Else") {
				t.Errorf("history, want our commit on top of the other one on top of the seed:\n%s", strings.Join(log, "\n"))
			}
			files := testkit.Clone(t, e.bare, "main")
			if files["other.txt"] != "someone else\n" || testkit.CountUnder(files, fgdDir+"/managed/connections") != 26 {
				t.Errorf("after Apply: other.txt=%q, %d connections", files["other.txt"], testkit.CountUnder(files, fgdDir+"/managed/connections"))
			}
			fsck(t, e.bare)
		})
	}
}

// A branch that keeps moving exhausts MaxAttempts with a conflict, and
// nothing of Apply's lands.
func TestApplyConflictExhausted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *gitremote.Options) { o.MaxAttempts = 3 })
	e.seedAcceptance(t)
	n := 0
	plan := func(head string, dirs map[string]fgd.Snapshot) (gitport.Proposal, error) {
		n++
		commitFiles(t, e.bare, "main", map[string][]byte{"other.txt": []byte(fmt.Sprintf("%d\n", n))}, "Concurrent change")
		return testkit.EnginePlan(head, dirs)
	}
	res, err := e.apply(t, gitport.Target{}, plan)
	wantClass(t, err, gitport.ClassConflict)
	var ge *gitport.Error
	if !asGitrepoError(err, &ge) || !ge.Retryable() {
		t.Errorf("a conflict must be retryable: %v", err)
	}
	if res.Attempts != 3 || n != 3 || res.Changed {
		t.Errorf("Attempts=%d plans=%d Changed=%v, want 3 3 false", res.Attempts, n, res.Changed)
	}
	for _, l := range testkit.GitLog(t, e.bare, "main") {
		if strings.Contains(l, "hnp-gitops") {
			t.Errorf("a commit of Apply landed: %s", l)
		}
	}
}

// Two Applies on one repository and branch never write at once: the second
// waits for the first, and both land without a conflict.
func TestApplySerialisedPerBranch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	commitFiles(t, e.bare, "main", map[string][]byte{"README.md": []byte("x\n")}, "seed")
	var mu sync.Mutex
	inPlan := 0
	overlap := false
	planFor := func(file string) gitport.PlanFunc {
		return func(string, map[string]fgd.Snapshot) (gitport.Proposal, error) {
			mu.Lock()
			inPlan++
			overlap = overlap || inPlan > 1
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
			mu.Lock()
			inPlan--
			mu.Unlock()
			return gitport.Proposal{Changes: []fgd.Change{{Path: fgdDir + "/" + file, Op: fgd.OpCreate, Content: []byte(file + "\n")}}, Message: "add " + file}, nil
		}
	}
	var wg sync.WaitGroup
	results := make([]gitport.Result, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			results[i], errs[i] = e.remote.Apply(ctx, gitport.Target{Repo: e.repo, Branch: "main"}, []string{fgdDir}, planFor(fmt.Sprintf("f%d", i)))
		}()
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil || !results[i].Changed || results[i].Attempts != 1 {
			t.Errorf("Apply %d: Changed=%v Attempts=%d err=%v, want true 1 nil", i, results[i].Changed, results[i].Attempts, errs[i])
		}
	}
	if overlap {
		t.Error("two plans ran at once on one branch")
	}
	if got := len(testkit.GitLog(t, e.bare, "main")); got != 5 {
		t.Errorf("history has %d commits, want seed + 4", got)
	}
}

// A waiter whose context ends gives up with a transient error.
func TestApplyLockWaitCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	commitFiles(t, e.bare, "main", map[string][]byte{"README.md": []byte("x\n")}, "seed")
	entered, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := e.remote.Apply(context.Background(), gitport.Target{Repo: e.repo, Branch: "main"}, []string{fgdDir},
			func(string, map[string]fgd.Snapshot) (gitport.Proposal, error) {
				close(entered)
				<-release
				return gitport.Proposal{}, nil
			})
		done <- err
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := e.remote.Apply(ctx, gitport.Target{Repo: e.repo, Branch: "main"}, []string{fgdDir}, testkit.EnginePlan)
	close(release)
	wantClass(t, err, gitport.ClassTransient)
	if err := <-done; err != nil {
		t.Errorf("the holder: %v", err)
	}
}

// The compare-and-swap is the server's: when the branch moves after the
// receive-pack advertisement, git itself refuses the stale old value, and
// that refusal is a conflict.
func TestApplyServerRefusesStaleOldValue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *gitremote.Options) { o.MaxAttempts = 1 })
	e.seedAcceptance(t)
	e.srv.mu.Lock()
	e.srv.beforeReceive = func() {
		commitFiles(t, e.bare, "main", map[string][]byte{"other.txt": []byte("x\n")}, "Concurrent change")
	}
	e.srv.mu.Unlock()
	res, err := e.apply(t, gitport.Target{}, nil)
	wantClass(t, err, gitport.ClassConflict)
	t.Logf("server refusal: %v", err)
	if strings.Contains(err.Error(), "the branch moved") {
		t.Errorf("refused before sending, want the server's refusal: %v", err)
	}
	if res.Changed || res.Attempts != 1 {
		t.Errorf("Changed=%v Attempts=%d, want false 1", res.Changed, res.Attempts)
	}
	if l := testkit.GitLog(t, e.bare, "main"); len(l) != 2 || !strings.Contains(l[0], "Someone Else") {
		t.Errorf("history:\n%s", strings.Join(l, "\n"))
	}
}
