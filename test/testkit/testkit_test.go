package testkit_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

func TestModuleRootAndFixtures(t *testing.T) {
	t.Parallel()
	root := testkit.ModuleRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.Contains(string(b), "module github.com/githedgehog/hnp-gitops\n") {
		t.Fatalf("ModuleRoot = %s: go.mod %v %.60q", root, err, b)
	}
	fx := testkit.Fixtures(t)
	var names []string
	for n, c := range fx {
		names = append(names, n)
		if len(c) == 0 {
			t.Errorf("fixture %s is empty", n)
		}
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"prepop.yaml", "test-vpc-2.yaml", "test-vpc.yaml"}, names); diff != "" {
		t.Errorf("fixture names (-want +got):\n%s", diff)
	}
	seed := testkit.AcceptanceSeed(t, "f/raw")
	if len(seed) != 4 || string(seed["README.md"]) != "# fabrics\n" || !bytes.Equal(seed["f/raw/test-vpc.yaml"], fx["test-vpc.yaml"]) {
		t.Errorf("AcceptanceSeed has %d files, README %q", len(seed), seed["README.md"])
	}
}

func TestEnginePlanLaysOutTheFixture(t *testing.T) {
	t.Parallel()
	const dir = "gitops/f"
	snap := fgd.Snapshot{Contents: map[string][]byte{}}
	for n, c := range testkit.Fixtures(t) {
		snap.Entries = append(snap.Entries, fgd.Entry{Path: "raw/" + n, Type: fgd.TypeFile, Size: int64(len(c)), SHA: fgd.BlobSHA(c)})
		snap.Contents["raw/"+n] = c
	}
	var plan gitport.PlanFunc = testkit.EnginePlan
	p, err := plan("0123456789abcdef0123456789abcdef01234567", map[string]fgd.Snapshot{dir: snap})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) == 0 || !strings.HasSuffix(p.Message, "\n\n"+testkit.AcceptanceTrailer) {
		t.Fatalf("plan: %d changes, message %q", len(p.Changes), p.Message)
	}
	files := map[string]string{}
	for _, c := range p.Changes {
		if !strings.HasPrefix(c.Path, dir+"/") {
			t.Errorf("change %s is not under %s", c.Path, dir)
		}
		if c.Op != fgd.OpDelete {
			files[c.Path] = string(c.Content)
		}
	}
	testkit.CheckManagedCounts(t, files, dir)
}

func TestGitEnvIsClean(t *testing.T) {
	t.Setenv("GIT_DIR", "/nonexistent")
	t.Setenv("XDG_CONFIG_HOME", "/nonexistent")
	env := testkit.GitEnv("/home/x")
	for _, kv := range env {
		if kv == "GIT_DIR=/nonexistent" || strings.HasPrefix(kv, "XDG_CONFIG_HOME=") || (strings.HasPrefix(kv, "HOME=") && kv != "HOME=/home/x") {
			t.Errorf("GitEnv keeps %s", kv)
		}
	}
	for _, want := range []string{"HOME=/home/x", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=Someone Else"} {
		if !slices.Contains(env, want) {
			t.Errorf("GitEnv lacks %s", want)
		}
	}
}

// TestGitCloneLogBlob makes a repository with the git binary and reads it
// back through Clone, GitLog and CheckBlob.
func TestGitCloneLogBlob(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	testkit.Git(t, work, "init", "--quiet", "--initial-branch=main")
	bin := testkit.RandomBytes(4096, 7, 8)
	testkit.WriteFiles(t, work, map[string][]byte{"a/b.txt": []byte("b\n"), "a/.gitkeep": nil, "bin.dat": bin})
	testkit.Git(t, work, "add", "-A")
	testkit.Git(t, work, "commit", "--quiet", "-m", "first")
	bare := filepath.Join(t.TempDir(), "r.git")
	testkit.Git(t, ".", "clone", "--quiet", "--bare", work, bare)

	files := testkit.Clone(t, bare, "main")
	if diff := cmp.Diff(map[string]string{"a/b.txt": "b\n", "a/.gitkeep": "", "bin.dat": string(bin)}, files); diff != "" {
		t.Errorf("Clone (-want +got):\n%s", diff)
	}
	if n := testkit.CountUnder(files, "a"); n != 1 {
		t.Errorf("CountUnder(a) = %d, want 1 (.gitkeep left out)", n)
	}
	log := testkit.GitLog(t, bare, "main")
	if len(log) != 1 || !strings.Contains(log[0], " Someone Else <else@example.com>|Someone Else|first|") {
		t.Errorf("GitLog = %q", log)
	}
	testkit.CheckBlob(t, bare, "main", "bin.dat", fgd.BlobSHA(bin), bin)
	if _, err := testkit.GitErr(t, ".", "--git-dir", bare, "rev-parse", "--verify", "--quiet", "nope"); err == nil {
		t.Error("GitErr of a failing command returned no error")
	}
}

func TestRandomBytesIsRepeatable(t *testing.T) {
	t.Parallel()
	a, b, c := testkit.RandomBytes(1024, 1, 2), testkit.RandomBytes(1024, 1, 2), testkit.RandomBytes(1024, 3, 4)
	if len(a) != 1024 || !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Errorf("RandomBytes: len %d, same seeds equal %v, other seeds equal %v", len(a), bytes.Equal(a, b), bytes.Equal(a, c))
	}
}

func TestSyncBufferConcurrent(t *testing.T) {
	t.Parallel()
	var buf testkit.SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				_, _ = buf.Write([]byte("x"))
				_ = buf.String()
			}
		}()
	}
	wg.Wait()
	if n := len(buf.String()); n != 800 {
		t.Errorf("%d bytes written, want 800", n)
	}
}

// recordingPort records what Apply is asked to do.
type recordingPort struct {
	tg   gitport.Target
	dirs []string
	plan gitport.PlanFunc
	dl   bool
}

func (p *recordingPort) Apply(ctx context.Context, tg gitport.Target, dirs []string, plan gitport.PlanFunc) (gitport.Result, error) {
	_, p.dl = ctx.Deadline()
	p.tg, p.dirs, p.plan = tg, dirs, plan
	return gitport.Result{Head: "h"}, nil
}

func TestApplyDefaults(t *testing.T) {
	t.Parallel()
	repo := gitport.Repo{Host: "github.com", Owner: "o", Name: "r"}
	for _, tc := range []struct {
		name     string
		tg       gitport.Target
		plan     gitport.PlanFunc
		want     gitport.Target
		wantPlan string // "engine" or "given"
	}{
		{"defaults", gitport.Target{}, nil, gitport.Target{Repo: repo, Branch: "main"}, "engine"},
		{"given", gitport.Target{Repo: gitport.Repo{Host: "h", Owner: "x", Name: "y"}, Branch: "b"},
			func(string, map[string]fgd.Snapshot) (gitport.Proposal, error) {
				return gitport.Proposal{Message: "given"}, nil
			},
			gitport.Target{Repo: gitport.Repo{Host: "h", Owner: "x", Name: "y"}, Branch: "b"}, "given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &recordingPort{}
			res, err := testkit.Apply(t, p, tc.tg, repo, "gitops/f", tc.plan)
			if err != nil || res.Head != "h" || !p.dl {
				t.Fatalf("Apply = %+v, %v (deadline set %v)", res, err, p.dl)
			}
			if diff := cmp.Diff(tc.want, p.tg); diff != "" {
				t.Errorf("target (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"gitops/f"}, p.dirs); diff != "" {
				t.Errorf("dirs (-want +got):\n%s", diff)
			}
			prop, err := p.plan("", map[string]fgd.Snapshot{})
			got := "engine"
			if prop.Message == "given" {
				got = "given"
			}
			if err != nil || got != tc.wantPlan {
				t.Errorf("plan run = %q, %v; want the %s plan", prop.Message, err, tc.wantPlan)
			}
		})
	}
}
