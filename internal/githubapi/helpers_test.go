package githubapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// testToken is recognisable so that tests can look for it in every error.
const testToken = "ghp_TESTTOKENtesttokenTESTTOKEN0123456789"

const (
	owner  = "hedgehog"
	name   = "fabrics"
	fgdDir = "gitops/hedgehog/fabric-1"
	rawDir = fgdDir + "/raw"
)

type env struct {
	sim  *githubsim.Server
	gh   *githubapi.GitHub
	repo gitport.Repo
	bare string
	tr   *http.Transport
}

// newEnv starts an emulator with one repository (created, not seeded) and a
// port with fast retries. mod may change the port's options.
func newEnv(t testing.TB, so githubsim.Options, mod func(*githubapi.GitHubOptions)) *env {
	t.Helper()
	sim, bare := testkit.StartSim(t, so, testToken, owner, name)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	o := githubapi.GitHubOptions{
		APIURL:         sim.URL() + "/",
		TokenFor:       func(gitport.Repo) string { return testToken },
		Transport:      tr,
		Author:         gitport.Identity{Name: "hnp-gitops", Email: "hnp-gitops@example.com"},
		Committer:      gitport.Identity{Name: "hnp-gitops", Email: "hnp-gitops@example.com"},
		RetryWaitMin:   10 * time.Millisecond,
		RetryWaitMax:   50 * time.Millisecond,
		MaxRetryAfter:  5 * time.Second,
		RequestTimeout: 5 * time.Second,
	}
	if mod != nil {
		mod(&o)
	}
	e := &env{sim: sim, gh: githubapi.NewGitHub(o), repo: gitport.Repo{Host: "github.com", Owner: owner, Name: name}, bare: bare, tr: tr}
	return e
}

// seedAcceptance puts the user's three files under raw/ on main, plus a
// file outside the FGD that must never change.
func (e *env) seedAcceptance(t testing.TB) string {
	t.Helper()
	files := testkit.AcceptanceSeed(t, rawDir)
	head, err := e.sim.SeedFiles(owner, name, "main", files, "Add fabric-1 wiring")
	if err != nil {
		t.Fatal(err)
	}
	return head
}

func (e *env) apply(t testing.TB, tg gitport.Target) (gitport.Result, error) {
	t.Helper()
	return testkit.Apply(t, e.gh, tg, e.repo, fgdDir, testkit.EnginePlan)
}

// noToken fails when err's text contains the token.
func noToken(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testToken) {
		t.Errorf("error contains the token: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "TESTTOKEN") {
		t.Errorf("error contains part of the token: %v", err)
	}
}
