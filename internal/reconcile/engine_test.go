package reconcile

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/status"
)

const fixtureDir = "../../testdata/hnp-fabric-1"

// The user's acceptance case through the real engine: one commit lays out
// the FGD and ingests the three files; a second run changes nothing.
func TestAcceptanceWithRealEngine(t *testing.T) {
	t.Parallel()
	files, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatalf("the shared fixtures must be beside the checkout: %v", err)
	}
	h := newHarness(t, func(o *Options) { o.Engine = FGD{} })
	h.nb.addRepo(1, "https://github.com/githedgehog/fabric-gitops.git")
	h.nb.addFabric(4, 1, "/gitops/hedgehog/fabric-1/", status.NotInitialized)
	const key = "github.com/githedgehog/fabric-gitops@main"
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(fixtureDir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		h.repo.put(key, "gitops/hedgehog/fabric-1/raw/"+f.Name(), string(b))
	}
	h.repo.put(key, "README.md", "outside the FGD\n")
	h.c.EnqueueRequest(4, "webhook created", "5c2e1d9a")
	// ReconcileNow does not read the queue's request ids: take the queued
	// run through the workers instead.
	h.run(t)
	out := h.outcomeFor(t, 4, anyOutcome)
	if out.Result != ResultCommitted || out.Status != status.Initialized {
		t.Fatalf("outcome = %+v, want committed and initialized", out)
	}
	if h.repo.commitCount(key) != 1 {
		t.Errorf("commits = %d, want exactly 1", h.repo.commitCount(key))
	}
	h.repo.mu.Lock()
	tree := map[string][]byte{}
	for p, c := range h.repo.trees[key] {
		tree[p] = c
	}
	h.repo.mu.Unlock()
	perFolder := map[string]int{}
	var raw []string
	for p := range tree {
		rel, ok := strings.CutPrefix(p, "gitops/hedgehog/fabric-1/")
		if !ok {
			continue
		}
		if folder, ok := strings.CutPrefix(rel, "managed/"); ok && strings.HasSuffix(folder, ".yaml") && strings.Contains(folder, "/") {
			perFolder[strings.SplitN(folder, "/", 2)[0]]++
		}
		if strings.HasPrefix(rel, "raw/") {
			raw = append(raw, rel)
		}
	}
	sort.Strings(raw)
	want := map[string]int{"connections": 26, "servers": 10, "switches": 7, "switchgroups": 3, "vpcs": 2}
	if diff := cmp.Diff(want, perFolder); diff != "" {
		t.Errorf("managed files per folder (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"raw/.gitkeep"}, raw); diff != "" {
		t.Errorf("raw/ (-want +got):\n%s", diff)
	}
	if string(tree["README.md"]) != "outside the FGD\n" {
		t.Error("a file outside the FGD was changed")
	}
	calls := h.repo.callList()
	msg := calls[len(calls)-1].Proposal.Message
	for _, s := range []string{"fabric-4", "NetBox-Object: netbox_hedgehog.hedgehogfabric:4\n", "NetBox-Request-ID: 5c2e1d9a\n", "managed/connections: 26"} {
		if !strings.Contains(msg, s) {
			t.Errorf("commit message lacks %q:\n%s", s, msg)
		}
	}
	if out.Placed["managed"] != 48 {
		t.Errorf("placed = %v, want 48 managed", out.Placed)
	}

	writes := len(h.nb.patchList())
	again, err := h.c.ReconcileNow(context.Background(), 4)
	if err != nil {
		t.Fatal(err)
	}
	if again.Result != ResultUnchanged || h.repo.commitCount(key) != 1 || len(h.nb.patchList()) != writes {
		t.Errorf("second run: %s, %d commits, %d new status writes; want unchanged, 1, 0",
			again.Result, h.repo.commitCount(key), len(h.nb.patchList())-writes)
	}
}

func TestFGDEngineCheckDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "root", in: "/", want: ""},
		{name: "nested", in: "/gitops/hedgehog/fabric-1/", want: "gitops/hedgehog/fabric-1"},
		{name: "dot dot", in: "gitops/../x", wantErr: true},
		{name: "git dir", in: ".git/hooks", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := FGD{}.CheckDir(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("CheckDir(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
