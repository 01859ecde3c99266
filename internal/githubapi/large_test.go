package githubapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// TestApplyOversizedByBlobID: a file in raw/ over the engine's size limit
// (lowered to 64 KiB here, 2 MiB of non-UTF-8 bytes) is never fetched nor
// uploaded: the new tree names its existing blob under unmanaged/ (and
// raw/<name>.archived with rename_with_extension), byte for byte.
func TestApplyOversizedByBlobID(t *testing.T) {
	t.Parallel()
	lim := fgd.Limits{MaxFileBytes: 64 << 10}
	big := testkit.RandomBytes(2<<20, 1, 2)
	big[0] = 0xff // surely not UTF-8: inline tree content could not carry it
	bigSHA := fgd.BlobSHA(big)
	for _, tc := range []struct {
		name     string
		strategy fgd.ArchiveStrategy
		refs     []string // paths that must hold the big blob after Apply
	}{
		{"delete", fgd.ArchiveDelete, []string{"unmanaged/dump/big.yaml"}},
		{"rename", fgd.ArchiveRename, []string{"raw/dump/big.yaml.archived", "unmanaged/dump/big.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, githubsim.Options{}, func(o *githubapi.GitHubOptions) {
				o.Wanted = func(es []fgd.Entry) []string { return fgd.WantedWith(es, lim) }
			})
			vpc := testkit.Fixtures(t)["test-vpc.yaml"]
			if _, err := e.sim.SeedFiles(owner, name, "main", map[string][]byte{
				"README.md": []byte("# fabrics\n"), rawDir + "/dump/big.yaml": big, rawDir + "/test-vpc.yaml": vpc,
			}, "Add a dump"); err != nil {
				t.Fatal(err)
			}
			e.sim.ResetStats()
			plan := testkit.Plan(fgd.Settings{FabricID: 1, FabricName: "fabric-1", ArchiveStrategy: tc.strategy, Limits: lim})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tg := gitport.Target{Repo: e.repo, Branch: "main"}
			res, err := e.gh.Apply(ctx, tg, []string{fgdDir}, plan)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			st := e.sim.Stats()
			t.Logf("%d requests %v", st.Total(), st.Requests)
			if !res.Changed || st.Commits != 1 {
				t.Errorf("Changed=%v commits=%d, want true 1", res.Changed, st.Commits)
			}
			if n := st.Requests["GET /repos/{owner}/{repo}/git/blobs/{file_sha}"]; n != 1 {
				t.Errorf("blob reads = %d, want 1 (test-vpc.yaml only, never the 2 MiB file)", n)
			}
			if n := st.Requests["POST /repos/{owner}/{repo}/git/blobs"]; n != 0 {
				t.Errorf("blob uploads = %d, want 0: the big file's blob is reused", n)
			}
			for _, p := range tc.refs {
				testkit.CheckBlob(t, e.bare, "main", fgdDir+"/"+p, bigSHA, big)
			}
			files := testkit.Clone(t, e.bare, "main")
			if _, ok := files[rawDir+"/dump/big.yaml"]; ok {
				t.Errorf("raw/dump/big.yaml is still there")
			}
			if _, ok := files[fgdDir+"/managed/vpcs/test-vpc.yaml"]; !ok {
				t.Errorf("the small file was not ingested; files: %d", len(files))
			}
			log := files[fgdDir+"/.hnp/archive-log.yaml"]
			if !strings.Contains(log, "blob: "+bigSHA) || !strings.Contains(log, "moved whole without reading") {
				t.Errorf("archive log does not record the move by blob id:\n%s", log)
			}

			// A second run reads no blob and writes nothing.
			e.sim.ResetStats()
			res2, err := e.gh.Apply(ctx, tg, []string{fgdDir}, plan)
			if err != nil {
				t.Fatalf("second Apply: %v", err)
			}
			if st := e.sim.Stats(); res2.Changed || st.Writes != 0 || st.Requests["GET /repos/{owner}/{repo}/git/blobs/{file_sha}"] != 0 {
				t.Errorf("second run: Changed=%v, %d writes, requests %v; want nothing", res2.Changed, st.Writes, st.Requests)
			}
		})
	}
}

// TestApplyRefusesAForeignBlob: a write by reference must name a blob of
// the directories at head; anything else is an invalid plan, not a commit.
func TestApplyRefusesAForeignBlob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{}, nil)
	e.seedAcceptance(t)
	e.sim.ResetStats()
	plan := func(string, map[string]fgd.Snapshot) (gitport.Proposal, error) {
		return gitport.Proposal{Changes: []fgd.Change{{Path: fgdDir + "/unmanaged/x.yaml", Op: fgd.OpCreate,
			SHA: strings.Repeat("ab", 20), From: "raw/x.yaml"}}}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := e.gh.Apply(ctx, gitport.Target{Repo: e.repo, Branch: "main"}, []string{fgdDir}, plan)
	if gitport.ClassOf(err) != gitport.ClassInvalid {
		t.Fatalf("Apply = %v, want a ClassInvalid error", err)
	}
	if st := e.sim.Stats(); st.Writes != 0 {
		t.Errorf("%d write requests, want none", st.Writes)
	}
	if log := testkit.GitLog(t, e.bare, "main"); len(log) != 1 {
		t.Errorf("history has %d commits, want the seed only", len(log))
	}
}
