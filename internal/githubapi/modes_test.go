package githubapi_test

import (
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// An empty repository gets its first commit through the Contents API, then
// the rest of the layout through the Git Data API.
func TestApplyEmptyRepository(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{}, nil)
	res, err := e.apply(t, gitport.Target{})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	st := e.sim.Stats()
	if !res.Changed || st.Requests["PUT /repos/{owner}/{repo}/contents/{path}"] != 1 {
		t.Errorf("Changed=%v, contents PUTs=%d; want true 1", res.Changed, st.Requests["PUT /repos/{owner}/{repo}/contents/{path}"])
	}
	log := testkit.GitLog(t, e.bare, "main")
	if len(log) != 2 || st.EmptyCommits != 0 || st.ForceUpdates != 0 {
		t.Errorf("history %q, empty=%d force=%d; want 2 commits (first file, then the rest)", log, st.EmptyCommits, st.ForceUpdates)
	}
	files := testkit.Clone(t, e.bare, "main")
	for _, p := range []string{".hnp/manifest.yaml", "raw/.gitkeep", "managed/kustomization.yaml", "managed/vpcs/.gitkeep"} {
		if _, ok := files[fgdDir+"/"+p]; !ok {
			t.Errorf("missing %s", p)
		}
	}
	// And it is steady afterwards.
	res2, err := e.apply(t, gitport.Target{})
	if err != nil || res2.Changed || res2.Head != res.Head {
		t.Errorf("second Apply = %+v, %v; want unchanged at %s", res2, err, res.Head)
	}
}

func TestApplyMissingBranchCreated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{}, nil)
	seed := e.seedAcceptance(t)
	res, err := e.apply(t, gitport.Target{Branch: "gitops/fabric-1", CreateMissingBranch: true})
	if err != nil || !res.Changed {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	log := testkit.GitLog(t, e.bare, "gitops/fabric-1")
	if len(log) != 2 || !strings.HasSuffix(log[0], "|"+seed) {
		t.Errorf("history of the new branch = %q, want one commit on top of main's %s", log, seed)
	}
	if main := testkit.GitLog(t, e.bare, "main"); len(main) != 1 {
		t.Errorf("main moved: %q", main)
	}
	if got := testkit.CountUnder(testkit.Clone(t, e.bare, "gitops/fabric-1"), fgdDir+"/managed/servers"); got != 10 {
		t.Errorf("managed/servers has %d files, want 10", got)
	}
}

// Above the emulator's truncation threshold the port walks the FGD's
// subtree instead, with the same result.
func TestApplyTruncatedTree(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{TruncateAbove: 8}, nil)
	e.seedAcceptance(t)
	other := map[string][]byte{}
	for _, p := range []string{"a/1", "a/2", "b/c/3", "b/c/4", "z/5", "z/6", "z/7", "z/8"} {
		other["docs/"+p+".md"] = []byte(p + "\n")
	}
	if _, err := e.sim.SeedFiles(owner, name, "main", other, "docs"); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetStats()
	res, err := e.apply(t, gitport.Target{})
	if err != nil || !res.Changed {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	st := e.sim.Stats()
	if n := st.Requests["GET /repos/{owner}/{repo}/git/trees/{tree_sha}"]; n < 3 {
		t.Errorf("%d tree reads, want the truncated listing plus a walk", n)
	}
	files := testkit.Clone(t, e.bare, "main")
	testkit.CheckManagedCounts(t, files, fgdDir)
	if files["docs/b/c/3.md"] != "b/c/3\n" {
		t.Error("a file outside the FGD changed")
	}
	// Steady state also works on a truncated tree, with reads only.
	e.sim.ResetStats()
	if res2, err := e.apply(t, gitport.Target{}); err != nil || res2.Changed {
		t.Errorf("second Apply = %+v, %v", res2, err)
	}
	if st := e.sim.Stats(); st.Writes != 0 {
		t.Errorf("second run wrote %d times", st.Writes)
	}
}

// GitHub Enterprise: the API base comes from the host of the repository URL.
func TestApplyEnterpriseAndSSHURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, host string
	}{
		{name: "GHE https", url: "https://ghe.example.com/hedgehog/fabrics.git", host: "ghe.example.com"},
		{name: "GHE scp-like ssh", url: "git@ghe.example.com:hedgehog/fabrics.git", host: "ghe.example.com"},
		{name: "github.com ssh URL", url: "ssh://git@github.com:22/hedgehog/fabrics.git", host: "github.com"},
		{name: "github.com scp-like", url: "git@github.com:hedgehog/fabrics", host: "github.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var asked []string
			e := newEnv(t, githubsim.Options{}, func(o *githubapi.GitHubOptions) {
				base := o.APIURL
				o.APIURL = "http://127.0.0.1:1/" // github.com must not be used for GHE
				if tc.host == "github.com" {
					o.APIURL = base
				}
				o.EnterpriseAPIURL = func(host string) string {
					asked = append(asked, host)
					return strings.TrimSuffix(base, "/") + "/api/v3/"
				}
			})
			e.seedAcceptance(t)
			repo, err := gitport.ParseURL(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.apply(t, gitport.Target{Repo: repo})
			if err != nil || !res.Changed {
				t.Fatalf("Apply = %+v, %v", res, err)
			}
			if want := "https://" + tc.host + "/hedgehog/fabrics/commit/" + res.Head; res.CommitURL != want {
				t.Errorf("CommitURL = %q, want %q", res.CommitURL, want)
			}
			if tc.host != "github.com" && (len(asked) == 0 || asked[0] != tc.host) {
				t.Errorf("enterprise API asked for %q, want %q", asked, tc.host)
			}
		})
	}
}

// Pull-request mode: the commit goes to the PR branch, one PR is opened and
// reused; the base branch never moves; the PR branch only moves forward.
func TestApplyPullRequestMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{}, nil)
	seed := e.seedAcceptance(t)
	tg := gitport.Target{PullRequestBranch: "hnp-gitops/fabric-1"}

	res, err := e.apply(t, tg)
	if err != nil || !res.Changed || !strings.HasSuffix(res.PullRequestURL, "/"+owner+"/"+name+"/pull/1") {
		t.Fatalf("first Apply = %+v, %v; want a commit and pull request 1", res, err)
	}
	if head, _ := e.sim.Head(owner, name, "main"); head != seed {
		t.Errorf("main moved to %s", head)
	}
	if got := testkit.CountUnder(testkit.Clone(t, e.bare, tg.PullRequestBranch), fgdDir+"/managed/connections"); got != 26 {
		t.Errorf("PR branch managed/connections has %d files, want 26", got)
	}

	// Nothing new: no commit, the same pull request, no writes.
	e.sim.ResetStats()
	res2, err := e.apply(t, tg)
	if err != nil || res2.Changed || res2.Head != res.Head || res2.PullRequestURL != res.PullRequestURL {
		t.Errorf("second Apply = %+v, %v; want unchanged, same PR", res2, err)
	}
	if st := e.sim.Stats(); st.Writes != 0 {
		t.Errorf("second run made %d writes: %v", st.Writes, st.Requests)
	}

	// Someone pushes a new file to raw/ on main: the PR branch moves
	// forward (merge of main, no force) and the PR is reused.
	extra := []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: test-vpc-3\nspec: {}\n")
	if _, err := e.sim.SeedFiles(owner, name, "main", map[string][]byte{rawDir + "/vpc-3.yaml": extra}, "Add vpc-3"); err != nil {
		t.Fatal(err)
	}
	res3, err := e.apply(t, tg)
	if err != nil || !res3.Changed || res3.PullRequestURL != res.PullRequestURL {
		t.Fatalf("third Apply = %+v, %v; want a commit on the same PR", res3, err)
	}
	st := e.sim.Stats()
	if st.ForceUpdates != 0 || st.PullRequests != 0 {
		t.Errorf("force=%d new PRs=%d, want 0 0", st.ForceUpdates, st.PullRequests)
	}
	files := testkit.Clone(t, e.bare, tg.PullRequestBranch)
	if got := testkit.CountUnder(files, fgdDir+"/managed/vpcs"); got != 3 {
		t.Errorf("PR branch managed/vpcs has %d files, want 3", got)
	}
	if _, ok := files[rawDir+"/vpc-3.yaml"]; ok {
		t.Error("raw/vpc-3.yaml still on the PR branch")
	}
	prLog := strings.Join(testkit.GitLog(t, e.bare, tg.PullRequestBranch), "\n")
	if !strings.Contains(prLog, res.Head) || !strings.Contains(prLog, "|Add vpc-3|") {
		t.Errorf("PR branch history lacks the previous PR head or main's new commit:\n%s", prLog)
	}
}

// When GitHub's comparison does not list every file, the port still never
// commits the pull-request head's own tree again.
func TestApplyPullRequestModeCappedCompare(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{CompareMaxFiles: 5}, nil)
	e.seedAcceptance(t)
	tg := gitport.Target{PullRequestBranch: "hnp-gitops/fabric-1"}
	res, err := e.apply(t, tg)
	if err != nil || !res.Changed {
		t.Fatalf("first Apply = %+v, %v", res, err)
	}
	e.sim.ResetStats()
	res2, err := e.apply(t, tg)
	if err != nil || res2.Changed || res2.Head != res.Head || res2.PullRequestURL != res.PullRequestURL {
		t.Errorf("second Apply = %+v, %v; want unchanged at %s, same PR", res2, err, res.Head)
	}
	st := e.sim.Stats()
	if st.Commits != 0 || st.EmptyCommits != 0 || st.RefUpdates != 0 {
		t.Errorf("commits=%d empty=%d ref updates=%d, want none: %v", st.Commits, st.EmptyCommits, st.RefUpdates, st.Requests)
	}
}
