package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// fabricCheck is what the clone of a fabric's repository shows.
type fabricCheck struct {
	Managed, Unmanaged int
	// Kept: left in raw/ with a reason in the archive log; LeftAlone:
	// root files the contract leaves in place.
	Kept, LeftAlone int
	Problems        []string
}

// checkFabric compares the FGD in a clone with the plan: every managed CR
// in managed/<folder>/<name>.yaml and nowhere else; every other document
// once in unmanaged/; every broken file byte for byte in unmanaged/; raw/
// and the FGD root emptied, unless the archive log gives a reason.
func checkFabric(clone string, f *fabricPlan) fabricCheck {
	var c fabricCheck
	bad := func(format string, args ...any) { c.Problems = append(c.Problems, fmt.Sprintf(format, args...)) }
	files, err := harness.Files(clone, f.Dir)
	if err != nil {
		bad("list %s: %v", f.Dir, err)
		return c
	}
	content := map[string][]byte{}
	for _, p := range files {
		if strings.HasPrefix(p, ".hnp/") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(clone, f.Dir, p))
		if err != nil {
			bad("read %s: %v", p, err)
			continue
		}
		content[p] = b
	}
	where := func(marker string) []string {
		var out []string
		for p, b := range content {
			if bytes.Contains(b, []byte(marker)) {
				out = append(out, p)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, d := range f.Managed {
		want := "managed/" + d.Folder + "/" + d.Name + ".yaml"
		got := where(d.Marker)
		if len(got) != 1 || got[0] != want {
			bad("%s %s (%s): found in %v, want exactly %s", d.Kind, d.Name, d.Marker, got, want)
			continue
		}
		var obj struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		}
		if err := yaml.Unmarshal(content[want], &obj); err != nil || obj.Kind != d.Kind || obj.Metadata.Name != d.Name {
			bad("%s: kind %q name %q (err %v), want %s %s", want, obj.Kind, obj.Metadata.Name, err, d.Kind, d.Name)
			continue
		}
		c.Managed++
	}
	for _, s := range f.Sources {
		if s.LeftAlone {
			// The contract leaves it in the FGD root, untouched.
			if !bytes.Equal(content[s.Rel], s.Content) {
				bad("root file %s: changed or gone, want it left alone", s.Rel)
				continue
			}
			for _, m := range append(s.Markers, s.Marker) {
				if m == "" {
					continue
				}
				if got := where(m); len(got) != 1 {
					bad("document %s of root file %s: found in %v, want only there", m, s.Rel, got)
				}
			}
			c.LeftAlone += len(s.Markers)
			if s.Whole {
				c.LeftAlone++
			}
			continue
		}
		for _, m := range s.Markers {
			got := where(m)
			if len(got) != 1 || !strings.HasPrefix(got[0], "unmanaged/") {
				bad("document %s of %s: found in %v, want exactly once in unmanaged/", m, s.Rel, got)
				continue
			}
			c.Unmanaged++
		}
		if !s.Whole {
			continue
		}
		got := where(s.Marker)
		if len(got) != 1 || !strings.HasPrefix(got[0], "unmanaged/") || !bytes.Equal(content[got[0]], s.Content) {
			bad("broken file %s: found in %v, want it byte for byte, once, in unmanaged/", s.Rel, got)
			continue
		}
		c.Unmanaged++
	}
	leftAlone := map[string]bool{}
	for _, s := range f.Sources {
		leftAlone[s.Rel] = s.LeftAlone
	}
	reasons := keptReasons(clone, f.Dir)
	for _, p := range files {
		left := strings.HasPrefix(p, "raw/") && p != "raw/.gitkeep" || !strings.Contains(p, "/") && p != "README.md"
		if !left || leftAlone[p] {
			continue
		}
		if r := reasons[p]; r != "" {
			c.Kept++
			continue
		}
		bad("source %s still in the FGD without a reason in the archive log", p)
	}
	return c
}

// keptReasons reads the archive log's reasons for source files left in
// place.
func keptReasons(clone, dir string) map[string]string {
	b, err := os.ReadFile(filepath.Join(clone, dir, ".hnp", "archive-log.yaml"))
	out := map[string]string{}
	if err != nil {
		return out
	}
	var entries []struct {
		Source string `yaml:"source"`
		Action string `yaml:"action"`
		Reason string `yaml:"reason"`
	}
	if yaml.Unmarshal(b, &entries) != nil {
		return out
	}
	for _, e := range entries {
		if e.Action == "kept" {
			out[e.Source] = e.Reason
		}
	}
	return out
}

// git runs the git binary in dir, trimmed output; a failure fails the test.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(testkit.Git(t, dir, args...))
}

// concurrentCommits returns every commit object in the bare repository that
// the emulator's concurrent writer made, reachable or not, and how many of
// them are ancestors of the branch head.
func concurrentCommits(t *testing.T, bare, branch string) (all, reachable int) {
	t.Helper()
	objs := git(t, bare, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)")
	var commits []string
	for _, line := range strings.Split(objs, "\n") {
		if sha, typ, ok := strings.Cut(line, " "); ok && typ == "commit" {
			commits = append(commits, sha)
		}
	}
	for _, sha := range commits {
		if git(t, bare, "show", "-s", "--format=%an", sha) != "Concurrent Writer" {
			continue
		}
		all++
		if _, err := harness.Git(context.Background(), bare, "merge-base", "--is-ancestor", sha, branch); err == nil {
			reachable++
		}
	}
	return all, reachable
}

// serviceCommits counts the commits on branch authored by the service.
func serviceCommits(t *testing.T, bare, branch string) int {
	t.Helper()
	n, err := strconv.Atoi(git(t, bare, "rev-list", "--count", "--author=hnp-gitops <", branch))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// leakScan looks for the harness's secrets in every log line, every
// custom-field value ever written to a fabric and every commit (message and
// content) of the bare repositories. It returns one line per finding.
func leakScan(t *testing.T, env *harness.Env, logs []string, bares []string) (scanned map[string]int, found []string) {
	t.Helper()
	scanned = map[string]int{}
	check := func(what, s string) {
		for _, sec := range harness.Secrets {
			if strings.Contains(s, sec) {
				found = append(found, what+": "+truncate(s, 200))
			}
		}
	}
	for _, l := range logs {
		scanned["log lines"]++
		check("log", l)
	}
	for _, f := range env.NetBox.Fabrics() {
		b, _ := json.Marshal(f.CustomFields)
		scanned["fabric custom fields"]++
		check(fmt.Sprintf("fabric %d custom fields", f.ID), string(b))
		for _, p := range env.NetBox.PatchLog(f.ID) {
			b, _ := json.Marshal(p.CustomFields)
			scanned["custom-field writes"]++
			check(fmt.Sprintf("fabric %d write %s", f.ID, p.RequestID), string(b))
		}
	}
	for _, bare := range bares {
		out := git(t, bare, "log", "--all", "-p", "--format=fuller")
		scanned["commits"] += strings.Count(out, "\ncommit ") + 1
		check("commits of "+path.Base(bare), out)
	}
	return scanned, found
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func freePort(t *testing.T) string { return testkit.FreePort(t) }

// waitAll polls until every fabric is initialized or the deadline passes;
// it returns the fabrics not initialized at the end.
func waitAll(env *harness.Env, ids []int64, deadline time.Duration) []netboxsim.Fabric {
	end := time.Now().Add(deadline)
	for {
		var pending []netboxsim.Fabric
		for _, id := range ids {
			f, ok := env.NetBox.Fabric(id)
			if !ok || harness.FabricStatus(f) != status.Initialized {
				pending = append(pending, f)
			}
		}
		if len(pending) == 0 || time.Now().After(end) {
			return pending
		}
		time.Sleep(200 * time.Millisecond)
	}
}
