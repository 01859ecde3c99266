package reconcile

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// The controller on the real GitHub port and the real engine, against the
// GitHub emulator (real bare repositories): six fabrics in two
// repositories, a concurrent writer moving a branch, then a full resync
// that must not write anything.
func TestControllerOnGitHubEmulator(t *testing.T) {
	t.Parallel()
	const token = "ghp_RECONCILETESTTOKEN0123456789abcdef"
	sim, err := githubsim.New(githubsim.Options{Dir: t.TempDir(), Token: token, Faults: githubsim.Faults{Match: "PATCH ", ConcurrentWriter: 1}, Wrap: testkit.Contract(t).Wrap})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(func() {
		_ = sim.Close()
		tr.CloseIdleConnections()
	})
	seed := map[string][]byte{"README.md": []byte("fabrics\n")}
	files, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatalf("the shared fixtures must be beside the checkout: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(fixtureDir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		seed["gitops/hedgehog/fabric-1/raw/"+f.Name()] = b
	}
	for _, name := range []string{"a", "b"} {
		if _, err := sim.CreateRepo("hh", name, true, "main"); err != nil {
			t.Fatal(err)
		}
		if _, err := sim.SeedFiles("hh", name, "main", seed, "seed"); err != nil {
			t.Fatal(err)
		}
	}
	gh := githubapi.NewGitHub(githubapi.GitHubOptions{
		APIURL:         sim.URL() + "/",
		TokenFor:       func(gitport.Repo) string { return token },
		Transport:      tr,
		Author:         gitport.Identity{Name: "hnp-gitops", Email: "hnp-gitops@example.com"},
		RetryWaitMin:   5 * time.Millisecond,
		RetryWaitMax:   20 * time.Millisecond,
		RequestTimeout: 5 * time.Second,
	})
	h := newHarness(t, func(o *Options) {
		o.Repository = gh
		o.Engine = FGD{}
		o.ParseURL = gitport.ParseURL
		o.BatchWindow = 50 * time.Millisecond
	})
	// Real git under the race detector, beside the other tests, is slow.
	h.wait = time.Minute
	h.nb.addRepo(1, "https://github.com/hh/a.git")
	h.nb.addRepo(2, "git@github.com:hh/b.git")
	dirs := []string{"gitops/hedgehog/fabric-1", "gitops/hedgehog/fabric-2", "other/fabric-3"}
	id := int64(0)
	for repo := int64(1); repo <= 2; repo++ {
		for _, d := range dirs {
			id++
			h.nb.addFabric(id, repo, "/"+d+"/", status.NotInitialized)
		}
	}
	h.run(t)
	for i := int64(1); i <= id; i++ {
		h.c.Enqueue(i, "webhook created")
	}
	for i := int64(1); i <= id; i++ {
		o := h.outcomeFor(t, i, func(o Outcome) bool { return o.Status == status.Initialized })
		if o.CommitURL == "" {
			t.Errorf("fabric %d: no commit URL", i)
		}
	}
	st := sim.Stats()
	if st.MaxWriters > 1 || st.ForceUpdates != 0 || st.EmptyCommits != 0 {
		t.Errorf("emulator saw %d writers at once, %d force pushes, %d empty commits", st.MaxWriters, st.ForceUpdates, st.EmptyCommits)
	}
	if st.OtherCommits != 1 {
		t.Errorf("concurrent writer commits = %d, want 1 (the fault fired once)", st.OtherCommits)
	}
	if st.Commits > 4 {
		t.Errorf("%d commits for 6 fabrics in 2 repositories, want them batched (at most 2 per repository)", st.Commits)
	}
	t.Logf("6 fabrics, 2 repositories: %d commits, %d requests (%d reads)", st.Commits, st.Total(), st.Reads())
	writes := len(h.nb.patchList())
	sim.ResetStats()

	// A full resync: everything is in place, so no write anywhere.
	n, err := h.c.Resync(context.Background(), true)
	if err != nil || n != int(id) {
		t.Fatalf("Resync = %d, %v; want %d queued", n, err, id)
	}
	for i := int64(1); i <= id; i++ {
		h.outcomeFor(t, i, func(o Outcome) bool { return o.Result == ResultUnchanged })
	}
	st = sim.Stats()
	if st.Writes != 0 || len(h.nb.patchList()) != writes {
		t.Errorf("a no-op resync made %d GitHub writes and %d status writes", st.Writes, len(h.nb.patchList())-writes)
	}
	t.Logf("no-op full resync of 6 fabrics: %d requests, all reads", st.Total())
	for _, p := range h.nb.patchList() {
		if s := fmt.Sprint(p.Fields); strings.Contains(s, token) {
			t.Errorf("status write contains the token: %s", s)
		}
	}
}
