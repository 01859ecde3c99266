package githubapi_test

import (
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// TestCompareWithContentsAPI measures, on the emulator, the acceptance case
// landed through Apply against the plugin's Contents-API approach (one GET
// and one PUT or DELETE per file, one commit per file) for the same final
// files. Run with -v to see the figures.
func TestCompareWithContentsAPI(t *testing.T) {
	t.Parallel()
	// One clock for both emulators, so that both seed commits are the same.
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	// Apply.
	a := newEnv(t, githubsim.Options{Now: clock}, nil)
	a.seedAcceptance(t)
	a.sim.ResetStats()
	res, err := a.apply(t, gitport.Target{})
	if err != nil || !res.Changed {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	applied := a.sim.Stats()

	// The Contents API, file by file, for the same change set.
	b := newEnv(t, githubsim.Options{Now: clock}, nil)
	seed := b.seedAcceptance(t)
	snap := fgd.Snapshot{Contents: map[string][]byte{}}
	for n, content := range testkit.Fixtures(t) {
		p := "raw/" + n
		snap.Entries = append(snap.Entries, fgd.Entry{Path: p, Type: fgd.TypeFile, Size: int64(len(content)), SHA: fgd.BlobSHA(content)})
		snap.Contents[p] = content
	}
	sort.Slice(snap.Entries, func(i, j int) bool { return snap.Entries[i].Path < snap.Entries[j].Path })
	prop, err := testkit.EnginePlan(seed, map[string]fgd.Snapshot{fgdDir: snap})
	if err != nil {
		t.Fatal(err)
	}
	c := github.NewClient(&http.Client{Transport: b.tr}).WithAuthToken(testToken)
	c.BaseURL, _ = url.Parse(b.sim.URL() + "/")
	b.sim.ResetStats()
	ctx := t.Context()
	for _, ch := range prop.Changes {
		var sha *string
		fc, _, _, err := c.Repositories.GetContents(ctx, owner, name, ch.Path, &github.RepositoryContentGetOptions{Ref: "main"})
		if err == nil {
			sha = fc.SHA
		}
		opts := &github.RepositoryContentFileOptions{
			Message: github.String("Update " + ch.Path), Content: ch.Content, SHA: sha, Branch: github.String("main"),
		}
		if ch.Op == fgd.OpDelete {
			_, _, err = c.Repositories.DeleteFile(ctx, owner, name, ch.Path, opts)
		} else {
			_, _, err = c.Repositories.CreateFile(ctx, owner, name, ch.Path, opts)
		}
		if err != nil {
			t.Fatalf("%s %s: %v", ch.Op, ch.Path, err)
		}
	}
	contents := b.sim.Stats()

	if d := cmp.Diff(testkit.Clone(t, a.bare, "main"), testkit.Clone(t, b.bare, "main")); d != "" {
		t.Fatalf("the two approaches give different trees (-apply +contents):\n%s", d)
	}
	t.Logf("acceptance case, %d changed paths:", len(prop.Changes))
	t.Logf("  Apply (Git Data API): %3d requests (%d reads, %d writes), %2d commit(s)", applied.Total(), applied.Reads(), applied.Writes, applied.Commits)
	t.Logf("  Contents API:         %3d requests (%d reads, %d writes), %2d commit(s)", contents.Total(), contents.Reads(), contents.Writes, contents.Commits)
	if applied.Commits != 1 || contents.Commits != len(prop.Changes) {
		t.Errorf("commits: apply %d, contents %d; want 1 and %d", applied.Commits, contents.Commits, len(prop.Changes))
	}
	if applied.Total() > 9 || contents.Total() != 2*len(prop.Changes) {
		t.Errorf("requests: apply %d, contents %d; want at most 9 and %d", applied.Total(), contents.Total(), 2*len(prop.Changes))
	}
}
