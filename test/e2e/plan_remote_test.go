package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"path"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/cli"
	"github.com/githedgehog/hnp-gitops/test/harness"
)

// TestPlanRemote: `plan --repo-url` reads the FGD at the branch head through
// the service's own repository port, prints the plan the service would
// commit, and writes nothing.
func TestPlanRemote(t *testing.T) {
	t.Parallel()
	env, err := harness.Start(harness.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	seed := map[string][]byte{}
	for name, b := range fixtures(t) {
		seed[path.Join(fgdPath, name)] = b // the flat layout of the user's report
	}
	if _, _, err := env.NewRepo("fabric-config", seed); err != nil {
		t.Fatal(err)
	}
	headBefore, err := env.GitHub.Head(harness.Owner, "fabric-config", "main")
	if err != nil {
		t.Fatal(err)
	}
	env.GitHub.ResetStats()

	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), []string{"plan",
		"--repo-url=" + harness.RepoURL("fabric-config"), "--branch=main", "--path=/" + fgdPath + "/",
		"--fabric-name=fabric-1", "--fabric=7", "--output=json",
		"--github-api-url=" + env.GitHub.URL() + "/", "--github-token=" + harness.GitHubToken,
	}, cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != 0 {
		t.Fatalf("plan exited %d: %s", code, errb.String())
	}
	var res struct {
		Counts  map[string]int `json:"counts"`
		Changes []struct {
			Path string `json:"path"`
			Op   string `json:"op"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	if res.Counts["managed"] != 48 || len(res.Changes) == 0 {
		t.Fatalf("plan: counts %v, %d changes; want 48 managed documents and a non-empty change set", res.Counts, len(res.Changes))
	}
	for _, c := range res.Changes {
		if strings.HasPrefix(c.Path, "/") || strings.Contains(c.Path, "..") {
			t.Errorf("change path %q is not relative to the FGD", c.Path)
		}
	}
	st := env.GitHub.Stats()
	headAfter, err := env.GitHub.Head(harness.Owner, "fabric-config", "main")
	if err != nil {
		t.Fatal(err)
	}
	if st.Writes != 0 || st.Commits != 0 || headAfter != headBefore {
		t.Fatalf("a dry run wrote: %d writes, %d commits, head %s -> %s", st.Writes, st.Commits, headBefore, headAfter)
	}
	if strings.Contains(out.String()+errb.String(), harness.GitHubToken) {
		t.Fatal("the token appears in plan's output")
	}

	// --apply is refused against a repository: serve writes, plan only looks.
	errb.Reset()
	if code := cli.Run(context.Background(), []string{"plan", "--repo-url=" + harness.RepoURL("fabric-config"),
		"--fabric-name=f", "--apply"}, cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}); code != 2 {
		t.Fatalf("plan --repo-url --apply: exit %d (%s), want 2", code, errb.String())
	}
}
