package gitremote_test

import (
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
)

// CheckAccess asks a real git server (git http-backend behind basic auth)
// for its receive-pack advertisement: granted with the right password,
// refused with a wrong one, and nothing is pushed either way.
func TestCheckAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.seedAcceptance(t)
	acc, err := e.remote.CheckAccess(t.Context(), e.repo)
	if err != nil || !acc.Known || !acc.Push {
		t.Fatalf("right password: %+v, %v; want push", acc, err)
	}
	wrong := newEnv(t, func(o *gitremote.Options) {
		o.CredentialsFor = func(gitport.Repo) gitremote.Credentials {
			return gitremote.Credentials{Username: "hnp", Password: "wrong-password", PlainHTTP: true}
		}
	})
	acc, err = wrong.remote.CheckAccess(t.Context(), wrong.repo)
	if err == nil && (!acc.Known || acc.Push) {
		t.Errorf("wrong password: %+v; want refused", acc)
	}
	if err != nil && (gitport.ClassOf(err) != gitport.ClassAuth || strings.Contains(err.Error(), "wrong-password")) {
		t.Errorf("wrong password: %v; want an auth error without the password", err)
	}
	if n := e.srv.pushes() + wrong.srv.pushes(); n != 0 {
		t.Errorf("%d pushes: checking access must not push", n)
	}
}
