package testkit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/githedgehog/hnp-gitops/test/ghcontract"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
)

// StartSim starts a githubsim emulator with o (Dir set to a fresh temporary
// directory, Token to token when o has none) holding one private
// repository owner/name created with an empty "main", and returns it and
// the repository's bare directory. The emulator is closed when the test
// ends.
func StartSim(t testing.TB, o githubsim.Options, token, owner, name string) (*githubsim.Server, string) {
	t.Helper()
	o.Dir = t.TempDir()
	if o.Token == "" {
		o.Token = token
	}
	if o.Wrap == nil {
		o.Wrap = Contract(t).Wrap
	}
	sim, err := githubsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	bare, err := sim.CreateRepo(owner, name, true, "main")
	if err != nil {
		t.Fatal(err)
	}
	return sim, bare
}

// Contract is a GitHub contract check (test/ghcontract) that fails t, when
// the test ends, on any exchange GitHub's description does not admit.
func Contract(t testing.TB) *ghcontract.Contract {
	t.Helper()
	c, err := ghcontract.Load(ModuleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, f := range c.Findings() {
			t.Errorf("GitHub contract: %.400s", f)
		}
		t.Logf("GitHub contract: %d exchanges validated, allowed gaps %v", c.Exchanges(), c.Allowed())
		if err := c.Record(packageOf(t), t.Name()); err != nil {
			t.Errorf("GitHub contract: %v", err)
		}
	})
	return c
}

// Webhooks is GitHub's webhook payload description (push and ping), for
// checking the bodies the emulator and the tests send.
func Webhooks(t testing.TB) *ghcontract.Webhooks {
	t.Helper()
	w, err := ghcontract.LoadWebhooks(ModuleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// packageOf names the package under test by its directory in the module
// (go test runs a package's tests in its directory).
func packageOf(t testing.TB) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(ModuleRoot(t), wd)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(rel)
}
