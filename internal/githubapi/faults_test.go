package githubapi_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/test/ghcontract"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// A writer moves the branch between our read and our ref update: the port
// re-reads, re-plans and lands on top; the other commit stays in history.
func TestApplyConcurrentWriter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{Faults: githubsim.Faults{ConcurrentWriter: 1}}, nil)
	e.seedAcceptance(t)
	res, err := e.apply(t, gitport.Target{})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !res.Changed || res.Attempts != 2 {
		t.Errorf("Changed=%v Attempts=%d, want true 2", res.Changed, res.Attempts)
	}
	st := e.sim.Stats()
	if st.OtherCommits != 1 || st.ForceUpdates != 0 || st.EmptyCommits != 0 {
		t.Errorf("other commits=%d force=%d empty=%d, want 1 0 0", st.OtherCommits, st.ForceUpdates, st.EmptyCommits)
	}
	log := testkit.GitLog(t, e.bare, "main")
	if len(log) != 3 || !strings.HasPrefix(log[0], res.Head) || !strings.Contains(log[1], "Concurrent Writer") {
		t.Fatalf("history = %q, want our commit on top of the concurrent one", log)
	}
	if parent := log[0][strings.LastIndex(log[0], "|")+1:]; !strings.HasPrefix(log[1], parent) {
		t.Errorf("our commit's parent is %s, want the concurrent commit %s", parent, log[1][:40])
	}
	files := testkit.Clone(t, e.bare, "main")
	if _, ok := files["concurrent-writer/change-1.txt"]; !ok {
		t.Error("the concurrent writer's file is gone")
	}
	if got := testkit.CountUnder(files, fgdDir+"/managed/connections"); got != 26 {
		t.Errorf("managed/connections has %d files, want 26", got)
	}
}

// A branch that keeps moving exhausts MaxAttempts with a conflict error.
func TestApplyConflictExhausted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{Faults: githubsim.Faults{ConcurrentWriter: 10}}, func(o *githubapi.GitHubOptions) { o.MaxAttempts = 3 })
	e.seedAcceptance(t)
	res, err := e.apply(t, gitport.Target{})
	if gitport.ClassOf(err) != gitport.ClassConflict || res.Attempts != 3 {
		t.Fatalf("Apply = %v (attempts %d), want a conflict after 3 attempts", err, res.Attempts)
	}
	if !strings.Contains(err.Error(), owner+"/"+name) {
		t.Errorf("error %q does not name the repository", err)
	}
	if st := e.sim.Stats(); st.ForceUpdates != 0 {
		t.Errorf("force updates = %d", st.ForceUpdates)
	}
}

// Rate limits and server errors are absorbed by the transport: the waits
// GitHub asks for are honoured and Apply succeeds.
func TestApplyRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		faults  githubsim.Faults
		fault   string
		minWait time.Duration
	}{
		{name: "403 retry-after", faults: githubsim.Faults{Match: "POST ", RateLimited: 1, RetryAfterSeconds: 1}, fault: "403_retry_after", minWait: time.Second},
		{name: "429 retry-after", faults: githubsim.Faults{Match: "GET ", TooMany: 1, RetryAfterSeconds: 1}, fault: "429_retry_after", minWait: time.Second},
		{name: "remaining 0 until reset", faults: githubsim.Faults{Match: "PATCH ", Exhausted: 1, ResetSeconds: 1}, fault: "403_exhausted", minWait: 400 * time.Millisecond},
		{name: "secondary limit on writes", faults: githubsim.Faults{SecondaryWritesPerMinute: 1}, fault: "403_secondary"},
		{name: "5xx", faults: githubsim.Faults{Errors: 3}, fault: "5xx"},
		{name: "503 on writes", faults: githubsim.Faults{Match: "POST ", Errors: 2, ErrorStatus: 503}, fault: "5xx"},
		{name: "timeouts", faults: githubsim.Faults{Match: "GET /repos/{owner}/{repo}/git/trees", Timeouts: 1}, fault: "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			secondary := tc.fault == "403_secondary"
			e := newEnv(t, githubsim.Options{}, func(o *githubapi.GitHubOptions) {
				if tc.fault == "timeout" {
					o.RequestTimeout = 2 * time.Second // each injected hang costs this
				}
				if secondary {
					o.MaxRetryAfter = time.Second // the secondary limit asks for up to a minute
				}
			})
			e.seedAcceptance(t)
			e.sim.SetFaults(tc.faults)
			start := time.Now()
			res, err := e.apply(t, gitport.Target{})
			took := time.Since(start)
			st := e.sim.Stats()
			if st.FaultsApplied[tc.fault] == 0 {
				t.Fatalf("fault %s never fired: %v", tc.fault, st.FaultsApplied)
			}
			if secondary {
				// A wait longer than MaxRetryAfter is the caller's to honour.
				if gitport.ClassOf(err) != gitport.ClassRateLimited {
					t.Fatalf("Apply = %v, want rate_limited", err)
				}
				var ge *gitport.Error
				if !asError(err, &ge) || ge.RetryAfter < 30*time.Second || !ge.Retryable() {
					t.Errorf("RetryAfter = %v, want the emulator's wait (about a minute)", ge.RetryAfter)
				}
				noToken(t, err)
				return
			}
			if err != nil || !res.Changed {
				t.Fatalf("Apply = %+v, %v; want a commit", res, err)
			}
			if took < tc.minWait {
				t.Errorf("took %v, want at least %v (the wait GitHub asked for)", took, tc.minWait)
			}
			if st.Commits != 1 || st.ForceUpdates != 0 || st.EmptyCommits != 0 {
				t.Errorf("commits=%d force=%d empty=%d, want 1 0 0", st.Commits, st.ForceUpdates, st.EmptyCommits)
			}
			if got := testkit.CountUnder(testkit.Clone(t, e.bare, "main"), fgdDir+"/managed/connections"); got != 26 {
				t.Errorf("managed/connections has %d files, want 26", got)
			}
		})
	}
}

// 4xx other than rate limits are not retried.
func TestApplyNoRetryOn4xx(t *testing.T) {
	t.Parallel()
	// GitHub's description of get-ref lists no 400: the contract check
	// must find the injected answer, and nothing else.
	contract, err := ghcontract.Load(testkit.ModuleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f := contract.Findings()
		if len(f) != 1 || f[0].Op != "git/get-ref" || f[0].Dir != "response" || f[0].Status != 400 {
			t.Errorf("GitHub contract findings %v, want the injected 400 of get-ref alone", f)
		}
	})
	e := newEnv(t, githubsim.Options{Wrap: contract.Wrap}, nil)
	e.seedAcceptance(t)
	e.sim.SetFaults(githubsim.Faults{Match: "GET /repos/{owner}/{repo}/git/ref/", Errors: 1, ErrorStatus: 400})
	e.sim.ResetStats()
	_, err = e.apply(t, gitport.Target{})
	if gitport.ClassOf(err) != gitport.ClassInvalid {
		t.Fatalf("Apply = %v, want invalid", err)
	}
	if n := e.sim.Stats().Total(); n != 1 {
		t.Errorf("%d requests, want 1 (no retry of a 400)", n)
	}
}

// Two Applies on one repository at once never write concurrently.
func TestApplySerialisedPerRepository(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{Faults: githubsim.Faults{LatencyMS: 5}}, nil)
	e.seedAcceptance(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	changed := make([]bool, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.apply(t, gitport.Target{})
			errs[i], changed[i] = err, res.Changed
		}()
	}
	wg.Wait()
	n := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("Apply %d: %v", i, err)
		}
		if changed[i] {
			n++
		}
	}
	st := e.sim.Stats()
	if n != 1 || st.Commits != 1 || st.MaxWriters != 1 {
		t.Errorf("%d changed, %d commits, max writers %d; want 1 1 1", n, st.Commits, st.MaxWriters)
	}
}

// A spent primary budget with a reset far ahead is not waited for inside
// Apply: it comes back as rate_limited with the wait, and go-github's memory
// of the spent budget stops further requests before they are sent.
func TestApplyPrimaryBudgetSpent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{RateLimit: 3}, nil)
	e.seedAcceptance(t)
	_, err := e.apply(t, gitport.Target{})
	var ge *gitport.Error
	if !asError(err, &ge) || ge.Class != gitport.ClassRateLimited {
		t.Fatalf("Apply = %v, want rate_limited", err)
	}
	if ge.RetryAfter < 30*time.Minute || ge.RetryAfter > time.Hour+time.Minute {
		t.Errorf("RetryAfter = %v, want until the hour's reset", ge.RetryAfter)
	}
	if n := e.sim.Stats().Total(); n != 3 {
		t.Errorf("%d requests reached GitHub, want 3 (the budget; the 4th is refused client-side)", n)
	}
	noToken(t, err)
}

// Between compare-and-swap attempts the port waits a short jitter through
// the injected Sleep.
func TestApplyConflictJitter(t *testing.T) {
	t.Parallel()
	var waits []time.Duration
	e := newEnv(t, githubsim.Options{Faults: githubsim.Faults{ConcurrentWriter: 2}}, func(o *githubapi.GitHubOptions) {
		o.Rand = func() float64 { return 0.5 }
		o.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	})
	e.seedAcceptance(t)
	res, err := e.apply(t, gitport.Target{})
	if err != nil || res.Attempts != 3 {
		t.Fatalf("Apply = %+v, %v; want success on attempt 3", res, err)
	}
	if d := cmp.Diff([]time.Duration{50 * time.Millisecond, 100 * time.Millisecond}, waits); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
}
