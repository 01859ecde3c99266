package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestNetBoxNotSetUp: against a NetBox where `netbox setup` never ran, the
// service says so at start and on every failed reconcile, names the command
// that fixes it, and writes nothing to git (it cannot report a status).
func TestNetBoxNotSetUp(t *testing.T) {
	t.Parallel()
	env, err := harness.Start(harness.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	svc, err := harness.StartInProcess(context.Background(), env.ServeArgs("--resync-interval=500ms"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop(10 * time.Second) })
	repoID, _, err := env.NewRepo("fabric-config", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.NetBox.CreateFabricDirect(netboxsim.Fabric{Name: "fabric-1", GitRepository: repoID, GitOpsDirectory: fgdPath}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var atStart, onReconcile bool
	for time.Now().Before(deadline) && !(atStart && onReconcile) {
		for _, l := range svc.LogLines() {
			atStart = atStart || strings.Contains(l, `"level":"ERROR"`) && strings.Contains(l, "no custom field gitops_directory_status") && strings.Contains(l, "hnp-gitops netbox setup")
			onReconcile = onReconcile || strings.Contains(l, `"msg":"reconcile"`) && strings.Contains(l, "run `hnp-gitops netbox setup`")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !atStart || !onReconcile {
		t.Fatalf("want an error at start and on the reconcile naming `hnp-gitops netbox setup` (start %v, reconcile %v):\n%s", atStart, onReconcile, svc.Logs())
	}
	if st := env.GitHub.Stats(); st.Writes != 0 || st.Commits != 0 {
		t.Fatalf("GitHub writes %d, commits %d; want none while no status can be written", st.Writes, st.Commits)
	}
}
