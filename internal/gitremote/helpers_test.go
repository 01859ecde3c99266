package gitremote_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// testPassword is recognisable so that tests can look for it in every
// error.
const testPassword = "glpat-TESTPASSWORDtestpassword0123"

const (
	owner  = "hedgehog"
	name   = "fabrics"
	fgdDir = "gitops/hedgehog/fabric-1"
	rawDir = fgdDir + "/raw"
)

var fixedNow = time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)

type env struct {
	srv    *gitServer
	remote *gitremote.Remote
	repo   gitport.Repo
	bare   string
	client *http.Client
}

// newEnv starts a git server with one empty bare repository hedgehog/fabrics
// and a port pointed at it with the right password. mod may change the
// port's options.
func newEnv(t testing.TB, mod func(*gitremote.Options)) *env {
	t.Helper()
	srv := newGitServer(t, "hnp", testPassword)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	e := &env{srv: srv, bare: srv.bare(owner, name), client: &http.Client{Transport: tr}}
	e.repo = gitport.Repo{Host: srv.Host(), Owner: owner, Name: name}
	o := gitremote.Options{
		CredentialsFor: func(gitport.Repo) gitremote.Credentials {
			return gitremote.Credentials{Username: "hnp", Password: testPassword, PlainHTTP: true}
		},
		URLFor:     func(r gitport.Repo) string { return srv.URL(r.Owner, r.Name) },
		HTTPClient: e.client,
		Author:     gitport.Identity{Name: "hnp-gitops", Email: "hnp-gitops@example.com"},
		Now:        func() time.Time { return fixedNow },
		Sleep:      func(context.Context, time.Duration) error { return nil },
	}
	if mod != nil {
		mod(&o)
	}
	e.remote = gitremote.New(o)
	return e
}

// seedAcceptance puts the user's three files under raw/ on main, plus a
// file outside the FGD that must never change.
func (e *env) seedAcceptance(t testing.TB) string {
	t.Helper()
	files := testkit.AcceptanceSeed(t, rawDir)
	return commitFiles(t, e.bare, "main", files, "Add fabric-1 wiring")
}

func (e *env) apply(t testing.TB, tg gitport.Target, plan gitport.PlanFunc) (gitport.Result, error) {
	t.Helper()
	return testkit.Apply(t, e.remote, tg, e.repo, fgdDir, plan)
}

// noSecret fails when any error of err's chain shows the password.
func noSecret(t testing.TB, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, s := range []string{testPassword, "TESTPASSWORD"} {
			if strings.Contains(e.Error(), s) {
				t.Errorf("error text contains the password: %v", e)
			}
		}
	}
}

// wantClass fails unless err is a *gitremote.Error of class want.
func wantClass(t testing.TB, err error, want gitport.Class) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want class %s", want)
	}
	var ge *gitremote.Error
	if !errors.As(err, &ge) {
		t.Errorf("err %T is not a *gitremote.Error: %v", err, err)
	}
	if got := gitport.ClassOf(err); got != want {
		t.Errorf("class = %q, want %q (err: %v)", got, want, err)
	}
	if !strings.HasPrefix(err.Error(), "git: ") {
		t.Errorf("error text %q does not start with \"git: \"", err.Error())
	}
	noSecret(t, err)
}

func asGitrepoError(err error, target **gitport.Error) bool { return errors.As(err, target) }
