package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/localdir"
	"github.com/google/go-cmp/cmp"
)

// planDir copies the user's three fixture files into a fresh FGD's raw/.
func planDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := "../../testdata/hnp-fabric-1"
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "raw"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "raw", e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runPlanCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

func TestPlanUsage(t *testing.T) {
	t.Parallel()
	dir := planDir(t)
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		errText string
	}{
		{"no dir", []string{"plan", "--fabric-name", "f"}, ExitUsage, "--dir or --repo-url is required"},
		{"no fabric name", []string{"plan", "--dir", dir}, ExitUsage, "--fabric-name is required"},
		{"bad output", []string{"plan", "--dir", dir, "--fabric-name", "f", "--output", "yaml"}, ExitUsage, "--output must be text or json"},
		{"bad strategy", []string{"plan", "--dir", dir, "--fabric-name", "f", "--archive-strategy", "shred"}, ExitUsage, "--archive-strategy"},
		{"bad repo dir", []string{"plan", "--dir", dir, "--fabric-name", "f", "--repo-dir", "../x"}, ExitUsage, "--repo-dir"},
		{"unknown flag", []string{"plan", "--dri", dir}, ExitUsage, "unknown flag"},
		{"arguments", []string{"plan", "--dir", dir, "--fabric-name", "f", "extra"}, ExitUsage, "unknown command"},
		{"missing dir", []string{"plan", "--dir", filepath.Join(dir, "nope"), "--fabric-name", "f"}, ExitFailure, "no such file"},
	} {
		code, stdout, stderr := runPlanCLI(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.errText) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and one line with %q", tc.name, code, stderr, tc.code, tc.errText)
		}
		if stdout != "" {
			t.Errorf("%s: stdout %q on error", tc.name, stdout)
		}
	}
}

type planOut struct {
	Summary string `json:"summary"`
	Applied bool   `json:"applied"`
	Changes []struct {
		Path string `json:"path"`
		Op   string `json:"op"`
	} `json:"changes"`
	Documents []map[string]string `json:"documents"`
	Counts    map[string]int      `json:"counts"`
}

func planJSONOf(t *testing.T, stdout string) planOut {
	t.Helper()
	var p planOut
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("plan --output json is not one JSON object: %v\n%s", err, stdout)
	}
	return p
}

func TestPlanApplyThenNothing(t *testing.T) {
	t.Parallel()
	dir := planDir(t)
	before := planSnapshot(t, dir)

	code, stdout, stderr := runPlanCLI(t, nil, "plan", "--dir", dir, "--fabric-name", "fabric-1", "--output", "json")
	if code != ExitOK {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	p := planJSONOf(t, stdout)
	if len(p.Changes) != 69 || p.Applied || p.Counts["managed"] != 48 || len(p.Documents) != 48 {
		t.Errorf("plan: %d changes, applied %v, counts %v, %d documents", len(p.Changes), p.Applied, p.Counts, len(p.Documents))
	}
	wantKeys := []string{"destination", "kind", "name", "placement", "reason", "schema", "source"}
	var keys []string
	for k := range p.Documents[0] {
		keys = append(keys, k)
	}
	if d := cmp.Diff(wantKeys, planSorted(keys)); d != "" {
		t.Errorf("document keys (-want +got):\n%s", d)
	}
	if d := cmp.Diff(before, planSnapshot(t, dir)); d != "" {
		t.Fatalf("plan without --apply changed the directory:\n%s", d)
	}

	// The same variables that fill every flag work here too.
	code, stdout, stderr = runPlanCLI(t, map[string]string{"HNP_GITOPS_FABRIC_NAME": "fabric-1"}, "plan", "--dir", dir, "--apply")
	if code != ExitOK || !strings.Contains(stdout, "Applied 69 changes") {
		t.Fatalf("plan --apply: exit %d: %s%s", code, stdout, stderr)
	}
	after := planSnapshot(t, dir)
	if _, ok := after["raw/prepop.yaml"]; ok {
		t.Error("raw/prepop.yaml still present after --apply")
	}
	if _, ok := after["managed/switches/leaf-01.yaml"]; !ok {
		t.Error("managed/switches/leaf-01.yaml missing after --apply")
	}

	code, stdout, _ = runPlanCLI(t, nil, "plan", "--dir", dir, "--fabric-name", "fabric-1", "--output", "json")
	if p := planJSONOf(t, stdout); code != ExitOK || len(p.Changes) != 0 || p.Summary != "No changes for fabric fabric-1" {
		t.Errorf("plan after --apply: exit %d, %d changes, summary %q", code, len(p.Changes), p.Summary)
	}
	code, stdout, _ = runPlanCLI(t, nil, "plan", "--dir", dir, "--fabric-name", "fabric-1")
	if code != ExitOK || !strings.HasSuffix(stdout, "Nothing to change.\n") {
		t.Errorf("text plan after --apply: exit %d:\n%s", code, stdout)
	}
}

// TestPlanNeverFollowsSymlinks: a symlinked managed/ pointing outside the
// FGD makes --apply fail without writing outside.
func TestPlanNeverFollowsSymlinks(t *testing.T) {
	t.Parallel()
	dir := planDir(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "managed")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "raw", "passwd.yaml")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runPlanCLI(t, nil, "plan", "--dir", dir, "--fabric-name", "f", "--output", "json")
	if code != ExitOK {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"source": "raw/passwd.yaml"`) || !strings.Contains(stdout, "a symlink is never read") {
		t.Errorf("the symlink in raw/ is not reported as kept:\n%s", stdout)
	}
	code, _, stderr = runPlanCLI(t, nil, "plan", "--dir", dir, "--fabric-name", "f", "--apply")
	if code != ExitFailure || !strings.Contains(stderr, "plan: apply:") {
		t.Errorf("apply through a symlink: exit %d, stderr %q; want failure", code, stderr)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("wrote %d entries outside the FGD", len(ents))
	}
}

func TestRepoPath(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	fgdDir := filepath.Join(repo, "gitops", "fabric-1")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(fgdDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := localdir.RepoPath(fgdDir); got != "gitops/fabric-1" {
		t.Errorf("repoPath = %q, want gitops/fabric-1", got)
	}
	if got := localdir.RepoPath(repo); got != "" {
		t.Errorf("repoPath(repo root) = %q, want \"\"", got)
	}
}

func planSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func planSorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
