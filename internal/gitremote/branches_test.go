package gitremote_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// An empty repository (no reference at all) gets the laid-out FGD as its
// first commit, without a parent, on the target branch, whether or not
// creating branches is enabled; a second run changes nothing.
func TestApplyEmptyRepository(t *testing.T) {
	t.Parallel()
	for _, create := range []bool{false, true} {
		t.Run(map[bool]string{false: "create missing branch off", true: "create missing branch on"}[create], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			var heads []string
			plan := func(head string, dirs map[string]fgd.Snapshot) (gitport.Proposal, error) {
				heads = append(heads, head)
				return testkit.EnginePlan(head, dirs)
			}
			res, err := e.apply(t, gitport.Target{Branch: "gitops", CreateMissingBranch: create}, plan)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !res.Changed || res.Attempts != 1 || len(heads) != 1 || heads[0] != "" {
				t.Errorf("Changed=%v Attempts=%d planned on %q, want true 1 [\"\"]", res.Changed, res.Attempts, heads)
			}
			log := testkit.GitLog(t, e.bare, "gitops")
			if len(log) != 1 || !strings.HasPrefix(log[0], res.Head+" hnp-gitops") || !strings.HasSuffix(log[0], "|") {
				t.Errorf("history, want one parentless commit %s:\n%s", res.Head, strings.Join(log, "\n"))
			}
			files := testkit.Clone(t, e.bare, "gitops")
			for _, p := range []string{fgdDir + "/README.md", fgdDir + "/.hnp/manifest.yaml", fgdDir + "/raw/.gitkeep", fgdDir + "/managed/kustomization.yaml"} {
				if _, ok := files[p]; !ok {
					t.Errorf("missing %s", p)
				}
			}
			fsck(t, e.bare)
			res2, err := e.apply(t, gitport.Target{Branch: "gitops", CreateMissingBranch: create}, nil)
			if err != nil || res2.Changed || res2.Head != res.Head {
				t.Errorf("second run: Changed=%v Head=%s err=%v, want false %s nil", res2.Changed, res2.Head, err, res.Head)
			}
		})
	}
}

// An empty repository and a plan with nothing to write: nothing is pushed
// and the repository stays empty.
func TestApplyEmptyRepositoryNothingToWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	res, err := e.apply(t, gitport.Target{}, func(string, map[string]fgd.Snapshot) (gitport.Proposal, error) {
		return gitport.Proposal{}, nil
	})
	if err != nil || res.Changed || res.Head != "" || res.CommitURL != "" {
		t.Errorf("Apply = %+v, %v; want unchanged, no head", res, err)
	}
	if e.srv.pushes() != 0 || revParse(t, e.bare, "main") != "" {
		t.Error("something was pushed")
	}
}

// A missing branch with CreateMissingBranch starts from the remote's HEAD
// branch (here "trunk", not main) in the same push as the commit; the HEAD
// branch does not move.
func TestApplyCreatesMissingBranch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	files := map[string][]byte{"README.md": []byte("# fabrics\n")}
	for n, b := range testkit.Fixtures(t) {
		files[rawDir+"/"+n] = b
	}
	trunk := commitFiles(t, e.bare, "trunk", files, "seed")
	commitFiles(t, e.bare, "other", map[string][]byte{"x": []byte("x\n")}, "other branch")
	testkit.Git(t, ".", "--git-dir", e.bare, "symbolic-ref", "HEAD", "refs/heads/trunk")
	e.srv.reset()

	res, err := e.apply(t, gitport.Target{Branch: "gitops", CreateMissingBranch: true}, nil)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !res.Changed || res.Attempts != 1 || e.srv.pushes() != 1 {
		t.Errorf("Changed=%v Attempts=%d pushes=%d, want true 1 1", res.Changed, res.Attempts, e.srv.pushes())
	}
	log := testkit.GitLog(t, e.bare, "gitops")
	if len(log) != 2 || !strings.HasPrefix(log[0], res.Head+" ") || !strings.HasSuffix(log[0], "|"+trunk) {
		t.Errorf("gitops history, want our commit on top of trunk %s:\n%s", trunk, strings.Join(log, "\n"))
	}
	if got := revParse(t, e.bare, "trunk"); got != trunk {
		t.Errorf("trunk moved to %s", got)
	}
	if got := testkit.CountUnder(testkit.Clone(t, e.bare, "gitops"), fgdDir+"/managed/connections"); got != 26 {
		t.Errorf("%d connections, want 26", got)
	}
}

// A missing branch and nothing to change: the branch is still created, at
// the HEAD branch's commit, with Changed=false (as the GitHub port does).
func TestApplyCreatesMissingBranchWithoutChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	head := commitFiles(t, e.bare, "main", map[string][]byte{"README.md": []byte("x\n")}, "seed")
	res, err := e.apply(t, gitport.Target{Branch: "gitops", CreateMissingBranch: true}, func(string, map[string]fgd.Snapshot) (gitport.Proposal, error) {
		return gitport.Proposal{}, nil
	})
	if err != nil || res.Changed || res.Head != head {
		t.Errorf("Apply = %+v, %v; want unchanged at %s", res, err, head)
	}
	if got := revParse(t, e.bare, "gitops"); got != head {
		t.Errorf("gitops = %q, want %s", got, head)
	}
}

// Credentials written into the URL are used as basic auth (and kept out of
// every error); over plain HTTP only with the operator's consent.
func TestApplyCredentialsInURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *gitremote.Options) {
		o.CredentialsFor = func(gitport.Repo) gitremote.Credentials { return gitremote.Credentials{PlainHTTP: true} }
		url := o.URLFor
		o.URLFor = func(r gitport.Repo) string {
			return strings.Replace(url(r), "http://", "http://hnp:"+testPassword+"@", 1)
		}
	})
	e.seedAcceptance(t)
	res, err := e.apply(t, gitport.Target{}, nil)
	if err != nil || !res.Changed {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
}

// A 429 is a rate limit with the server's Retry-After.
func TestApplyRateLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.srv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "7")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	_, err := e.apply(t, gitport.Target{}, nil)
	wantClass(t, err, gitport.ClassRateLimited)
	var ge *gitport.Error
	if !asGitrepoError(err, &ge) || ge.RetryAfter != 7*time.Second || ge.StatusCode != http.StatusTooManyRequests {
		t.Errorf("RetryAfter/StatusCode of %v", err)
	}
}

// The tree edits beyond the engine's: a directory emptied by deletes
// disappears, binary content round-trips, a file gives way to a directory,
// an executable with the wanted content keeps its mode, symlinks and
// submodules are listed with their types but never read, and the FGD may
// be the repository root.
func TestApplyTreeEdits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	commitFiles(t, e.bare, "main", map[string][]byte{
		"fgd/old/a.yaml":     []byte("a\n"),
		"fgd/old/deep/b":     []byte("b\n"),
		"fgd/keep.sh":        []byte("#!/bin/sh\n"),
		"fgd/becomes-dir":    []byte("file\n"),
		"outside/z.txt":      []byte("z\n"),
		"fgd/link-target.md": []byte("t\n"),
	}, "seed")
	work := t.TempDir() + "/w"
	testkit.Git(t, ".", "clone", "--quiet", e.bare, work)
	testkit.Git(t, work, "update-index", "--chmod=+x", "fgd/keep.sh")
	target := t.TempDir() + "/target"
	if err := os.WriteFile(target, []byte("link-target.md"), 0o600); err != nil {
		t.Fatal(err)
	}
	testkit.Git(t, work, "update-index", "--add", "--cacheinfo", "120000,"+strings.TrimSpace(testkit.Git(t, work, "hash-object", "-w", target))+",fgd/link")
	testkit.Git(t, work, "update-index", "--add", "--cacheinfo", "160000,0123456789abcdef0123456789abcdef01234567,fgd/sub")
	testkit.Git(t, work, "commit", "--quiet", "-m", "modes")
	testkit.Git(t, work, "push", "--quiet", "origin", "HEAD:main")

	binary := []byte{0, 1, 2, 0xff, 0xfe, '\n'}
	var got map[string]fgd.Snapshot
	plan := func(_ string, dirs map[string]fgd.Snapshot) (gitport.Proposal, error) {
		got = dirs
		return gitport.Proposal{Message: "edits", Changes: []fgd.Change{
			{Path: "fgd/old/a.yaml", Op: fgd.OpDelete},
			{Path: "fgd/old/deep/b", Op: fgd.OpDelete},
			{Path: "fgd/missing", Op: fgd.OpDelete},
			{Path: "fgd/bin/blob.dat", Op: fgd.OpCreate, Content: binary},
			{Path: "fgd/becomes-dir/inner.yaml", Op: fgd.OpCreate, Content: []byte("inner\n")},
			{Path: "fgd/keep.sh", Op: fgd.OpUpdate, Content: []byte("#!/bin/sh\n")},
		}}, nil
	}
	ctx := t.Context()
	res, err := e.remote.Apply(ctx, gitport.Target{Repo: e.repo, Branch: "main"}, []string{"fgd"}, plan)
	if err != nil || !res.Changed {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	types := map[string]fgd.EntryType{}
	for _, en := range got["fgd"].Entries {
		types[en.Path] = en.Type
	}
	want := map[string]fgd.EntryType{
		"becomes-dir": fgd.TypeFile, "keep.sh": fgd.TypeExecutable, "link": fgd.TypeSymlink, "link-target.md": fgd.TypeFile,
		"old/a.yaml": fgd.TypeFile, "old/deep/b": fgd.TypeFile, "sub": fgd.TypeSubmodule,
	}
	if d := cmp.Diff(want, types); d != "" {
		t.Errorf("listing (-want +got):\n%s", d)
	}
	for p := range got["fgd"].Contents {
		if p == "link" || p == "sub" {
			t.Errorf("read %s", p)
		}
	}
	ls := testkit.Git(t, ".", "--git-dir", e.bare, "ls-tree", "-r", "--format=%(objectmode) %(path)", "main")
	wantLs := "100755 fgd/keep.sh\n120000 fgd/link\n100644 fgd/link-target.md\n160000 fgd/sub\n100644 outside/z.txt\n"
	for _, l := range strings.Split(strings.TrimSpace(wantLs), "\n") {
		if !strings.Contains(ls, l+"\n") {
			t.Errorf("ls-tree lacks %q:\n%s", l, ls)
		}
	}
	if strings.Contains(ls, "fgd/old") {
		t.Errorf("the emptied directory is still there:\n%s", ls)
	}
	if b := testkit.Git(t, ".", "--git-dir", e.bare, "cat-file", "blob", "main:fgd/bin/blob.dat"); b != string(binary) {
		t.Errorf("binary content = %q", b)
	}
	if b := testkit.Git(t, ".", "--git-dir", e.bare, "cat-file", "blob", "main:fgd/becomes-dir/inner.yaml"); b != "inner\n" {
		t.Errorf("inner.yaml = %q", b)
	}
	testkit.Git(t, ".", "--git-dir", e.bare, "fsck", "--no-dangling") // submodule gitlink points nowhere: not --strict

	// The repository root as the FGD, and a change outside the given
	// directories is refused.
	res, err = e.remote.Apply(ctx, gitport.Target{Repo: e.repo, Branch: "main"}, []string{""}, func(string, map[string]fgd.Snapshot) (gitport.Proposal, error) {
		return gitport.Proposal{Changes: []fgd.Change{{Path: "top.txt", Op: fgd.OpCreate, Content: []byte("top\n")}}}, nil
	})
	if err != nil || !res.Changed || testkit.Clone(t, e.bare, "main")["top.txt"] != "top\n" {
		t.Errorf("root FGD: %+v %v", res, err)
	}
	_, err = e.remote.Apply(ctx, gitport.Target{Repo: e.repo, Branch: "main"}, []string{"fgd"}, func(string, map[string]fgd.Snapshot) (gitport.Proposal, error) {
		return gitport.Proposal{Changes: []fgd.Change{{Path: "outside/z.txt", Op: fgd.OpDelete}}}, nil
	})
	wantClass(t, err, gitport.ClassInvalid)
}
