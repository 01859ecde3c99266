package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"path"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/cli"
	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestReconcileCommand: `hnp-gitops reconcile --fabric ID` does one
// reconcile in the foreground, with no serve running and no webhook, and
// prints the result.
func TestReconcileCommand(t *testing.T) {
	t.Parallel()
	env, err := harness.Start(harness.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	if err := env.NetBox.SetupStatusFields(); err != nil {
		t.Fatal(err)
	}
	seed := map[string][]byte{}
	for name, b := range fixtures(t) {
		seed[path.Join(fgdPath, "raw", name)] = b
	}
	repoID, bare, err := env.NewRepo("fabric-config", seed)
	if err != nil {
		t.Fatal(err)
	}
	f, err := env.NetBox.CreateFabricDirect(netboxsim.Fabric{Name: "fabric-1", GitRepository: repoID, GitOpsDirectory: fgdPath})
	if err != nil {
		t.Fatal(err)
	}
	args := env.ServeArgs("--output=json")
	args[0] = "reconcile"
	args = append(args, "--fabric="+itoa(f.ID))
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != 0 {
		t.Fatalf("reconcile exited %d: %s\n%s", code, errb.String(), out.String())
	}
	var res struct {
		Result    string         `json:"result"`
		Status    string         `json:"status"`
		CommitURL string         `json:"commit_url"`
		Placed    map[string]int `json:"placed"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	head, err := harness.Git(context.Background(), bare, "rev-parse", "main")
	if err != nil {
		t.Fatal(err)
	}
	if res.Result != "committed" || res.Status != string(status.Initialized) || !strings.HasSuffix(res.CommitURL, head) || res.Placed["managed"] != 48 {
		t.Fatalf("result %+v, want committed, initialized, the head %s, 48 managed", res, head)
	}
	if got, _ := env.NetBox.Fabric(f.ID); harness.FabricStatus(got) != status.Initialized {
		t.Fatalf("NetBox status %q, want initialized", harness.FabricStatus(got))
	}
	if line, leaked := harness.ScanLines(strings.NewReader(out.String()+errb.String()), harness.Secrets); leaked {
		t.Fatalf("secret in the output: %s", line)
	}

	// Usage errors exit 2 with one line.
	errb.Reset()
	if code := cli.Run(context.Background(), []string{"reconcile"}, cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}); code != 2 ||
		strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
		t.Fatalf("reconcile without --fabric: exit %d, stderr %q", code, errb.String())
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
