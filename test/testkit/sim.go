package testkit

import (
	"testing"

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
