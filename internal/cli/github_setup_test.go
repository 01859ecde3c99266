package cli

import (
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// github setup creates the push webhook of every fabric repository on
// GitHub once, skips the others, and changes nothing on a second run.
func TestGitHubSetupCommand(t *testing.T) {
	const ghToken = "ghp_CLIsetupTOKEN0123456789abcdef"
	const nbToken = "0123456789abcdef0123456789abcdef01234567"
	sim, _ := testkit.StartSim(t, githubsim.Options{}, ghToken, "hedgehog", "fabrics")
	if _, err := sim.CreateRepo("hedgehog", "extra", true, "main"); err != nil {
		t.Fatal(err)
	}
	nb, err := netboxsim.Start(netboxsim.Options{Token: nbToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nb.Close() })
	for i, u := range []string{"https://github.com/hedgehog/fabrics.git", "https://gitlab.example.com/netops/lab.git"} {
		r, err := nb.CreateRepository(netboxsim.Repository{Name: "r" + string(rune('a'+i)), URL: u, Provider: "github", DefaultBranch: "main"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nb.CreateFabric(netboxsim.Fabric{Name: "f" + string(rune('a'+i)), GitRepository: r.ID, GitOpsDirectory: "fab"}); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"github", "setup", "--netbox-url=" + nb.URL(), "--netbox-token=" + nbToken,
		"--github-api-url=" + sim.URL() + "/", "--github-token=" + ghToken,
		"--git-webhook-secret=" + setupTestSecret, "--webhook-url=https://hnp-gitops.example.com/webhooks/git", "--repo=hedgehog/extra"}
	code, out, errOut := runCLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	for _, want := range []string{
		"github.com/hedgehog/fabrics: webhook created", "github.com/hedgehog/extra: webhook created",
		"gitlab.example.com/netops/lab: skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runCLI(t, nil, args...)
	if code != 0 || strings.Count(out, "webhook unchanged") != 2 {
		t.Errorf("second run: exit %d:\n%s%s", code, out, errOut)
	}
	for _, secret := range []string{ghToken, nbToken, setupTestSecret} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("the output shows a secret")
		}
	}
	// Without admin rights: a failed line and exit 1.
	code, out, _ = runCLI(t, nil, "github", "setup", "--github-api-url="+sim.URL()+"/", "--github-token=ghp_wrong",
		"--git-webhook-secret=s", "--webhook-url=https://h.example.com/webhooks/git", "--repo=hedgehog/fabrics")
	if code != 1 || !strings.Contains(out, "github.com/hedgehog/fabrics: FAILED") {
		t.Errorf("bad token: exit %d:\n%s", code, out)
	}
	if code, _, _ := runCLI(t, nil, "github", "setup", "--git-webhook-secret=s", "--repo=o/r"); code != 2 {
		t.Errorf("no --webhook-url: exit %d, want 2", code)
	}
}
