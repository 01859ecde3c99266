package githubapp_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/githubapi/githubapp"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

const fgdDir = "gitops/hedgehog/fabric-1"

func (e *appEnv) port(src *githubapp.Source) *githubapi.GitHub {
	return githubapi.NewGitHub(githubapi.GitHubOptions{
		APIURL:      e.sim.URL() + "/",
		TokenSource: src.ForRepo,
		Transport:   e.tr,
		// No Author/Committer: GitHub signs the App's commits (Verified).
		RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 50 * time.Millisecond,
		MaxRetryAfter: 5 * time.Second, RequestTimeout: 5 * time.Second,
	})
}

// The acceptance case lands through githubapi with App installation tokens
// only: one commit laying out the FGD, authored by the App's bot and
// verified; the token is reused by the next reconciles and replaced when
// it nears its expiry.
func TestAcceptanceWithAppToken(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	repo := gitport.Repo{Host: "github.com", Owner: owner, Name: name}
	seed, err := e.sim.SeedFiles(owner, name, "main", testkit.AcceptanceSeed(t, fgdDir+"/raw"), "Add fabric-1 wiring")
	if err != nil {
		t.Fatal(err)
	}
	gh := e.port(e.source(nil))
	e.sim.ResetStats()

	res, err := testkit.Apply(t, gh, gitport.Target{}, repo, fgdDir, nil)
	if err != nil || !res.Changed {
		t.Fatalf("Apply = %+v, %v; want a commit", res, err)
	}
	st := e.sim.Stats()
	t.Logf("first run: %d requests %v", st.Total(), st.Requests)
	if st.Requests[routeInst] != 1 || st.Requests[routeToken] != 1 || st.Commits != 1 || st.ForceUpdates != 0 {
		t.Errorf("lookups=%d token requests=%d commits=%d force=%d, want 1 1 1 0",
			st.Requests[routeInst], st.Requests[routeToken], st.Commits, st.ForceUpdates)
	}
	log := testkit.GitLog(t, e.bare, "main")
	if len(log) != 2 || !strings.HasSuffix(log[0], "|"+seed) {
		t.Fatalf("history = %q, want seed + 1 commit", log)
	}
	if !strings.HasPrefix(log[0], res.Head+" hnp-gitops-sim[bot] <") {
		t.Errorf("head commit %q, want it authored by the App's bot", log[0])
	}
	if !e.sim.Verified(res.Head) {
		t.Error("the commit is not verified: it must carry no explicit author")
	}
	testkit.CheckAcceptanceLayout(t, testkit.Clone(t, e.bare, "main"), fgdDir)

	// The next reconcile reuses the cached token: no token request.
	e.sim.ResetStats()
	res2, err := testkit.Apply(t, gh, gitport.Target{}, repo, fgdDir, nil)
	if err != nil || res2.Changed || res2.Head != res.Head {
		t.Fatalf("second Apply = %+v, %v; want unchanged", res2, err)
	}
	if st := e.sim.Stats(); st.Requests[routeInst]+st.Requests[routeToken] != 0 || st.Writes != 0 {
		t.Errorf("second run: %v, want reads only and no token request", st.Requests)
	}

	// An hour later the first token is dead; a fresh one is fetched.
	e.clock.Add(time.Hour)
	e.sim.ResetStats()
	if _, err := testkit.Apply(t, gh, gitport.Target{}, repo, fgdDir, nil); err != nil {
		t.Fatalf("Apply an hour later: %v", err)
	}
	if st := e.sim.Stats(); st.Requests[routeInst] != 0 || st.Requests[routeToken] != 1 {
		t.Errorf("an hour later: %v, want one token request and no lookup", st.Requests)
	}
}

// An App that is not installed on the repository fails the Apply with a
// terminal ClassAuth error that names the repository and says so, without
// touching the repository.
func TestApplyAppNotInstalled(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	repo := gitport.Repo{Host: "github.com", Owner: owner, Name: "other"}
	gh := e.port(e.source(nil))
	_, err := testkit.Apply(t, gh, gitport.Target{}, repo, fgdDir, nil)
	var ge *gitport.Error
	if !errors.As(err, &ge) || ge.Class != gitport.ClassAuth || ge.Retryable() || ge.Repo != repo {
		t.Fatalf("err = %v, want a terminal ClassAuth *gitport.Error for %v", err, repo)
	}
	if !strings.Contains(err.Error(), "the GitHub App 12345 is not installed on hedgehog/other") ||
		githubapp.KindOf(err) != githubapp.KindNotInstalled {
		t.Errorf("err = %v, want the not-installed message", err)
	}
	noSecret(t, err, staticTok)
	st := e.sim.Stats()
	if st.Total() != st.Requests[routeInst] {
		t.Errorf("requests %v, want only the installation lookup", st.Requests)
	}
}
