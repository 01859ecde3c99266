package gitrepo_test

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitrepo"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
)

// testToken is recognisable so that tests can look for it in every error.
const testToken = "ghp_TESTTOKENtesttokenTESTTOKEN0123456789"

const (
	owner   = "hedgehog"
	name    = "fabrics"
	fgdDir  = "gitops/hedgehog/fabric-1"
	rawDir  = fgdDir + "/raw"
	fixture = "../../../shared/fixtures/hnp-fabric-1"
)

type env struct {
	sim  *githubsim.Server
	gh   *gitrepo.GitHub
	repo gitrepo.Repo
	bare string
	tr   *http.Transport
}

// newEnv starts an emulator with one repository (created, not seeded) and a
// port with fast retries. mod may change the port's options.
func newEnv(t testing.TB, so githubsim.Options, mod func(*gitrepo.GitHubOptions)) *env {
	t.Helper()
	so.Dir = t.TempDir()
	if so.Token == "" {
		so.Token = testToken
	}
	sim, err := githubsim.New(so)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	bare, err := sim.CreateRepo(owner, name, true, "main")
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	o := gitrepo.GitHubOptions{
		APIURL:         sim.URL() + "/",
		TokenFor:       func(gitrepo.Repo) string { return testToken },
		Transport:      tr,
		Author:         gitrepo.Identity{Name: "hnp-gitops", Email: "hnp-gitops@example.com"},
		Committer:      gitrepo.Identity{Name: "hnp-gitops", Email: "hnp-gitops@example.com"},
		RetryWaitMin:   10 * time.Millisecond,
		RetryWaitMax:   50 * time.Millisecond,
		MaxRetryAfter:  5 * time.Second,
		RequestTimeout: 5 * time.Second,
	}
	if mod != nil {
		mod(&o)
	}
	e := &env{sim: sim, gh: gitrepo.NewGitHub(o), repo: gitrepo.Repo{Host: "github.com", Owner: owner, Name: name}, bare: bare, tr: tr}
	t.Cleanup(func() {
		_ = sim.Close()
		tr.CloseIdleConnections()
	})
	return e
}

func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range []string{"prepop.yaml", "test-vpc.yaml", "test-vpc-2.yaml"} {
		b, err := os.ReadFile(filepath.Join(fixture, f))
		if err != nil {
			t.Fatalf("fixture: %v", err)
		}
		out[f] = b
	}
	return out
}

// seedAcceptance puts the user's three files under raw/ on main, plus a
// file outside the FGD that must never change.
func (e *env) seedAcceptance(t testing.TB) string {
	t.Helper()
	files := map[string][]byte{"README.md": []byte("# fabrics\n")}
	for n, b := range fixtures(t) {
		files[rawDir+"/"+n] = b
	}
	head, err := e.sim.SeedFiles(owner, name, "main", files, "Add fabric-1 wiring")
	if err != nil {
		t.Fatal(err)
	}
	return head
}

// enginePlan is the real engine: fgd.Compute per FGD, paths prefixed.
func enginePlan(head string, dirs map[string]fgd.Snapshot) (gitrepo.Proposal, error) {
	var p gitrepo.Proposal
	var summaries []string
	for dir, snap := range dirs {
		res, err := fgd.Compute(snap, fgd.Settings{FabricID: 1, FabricName: "fabric-1", RepoDir: dir, ParentCommit: head})
		if err != nil {
			return p, err
		}
		for _, c := range res.Changes {
			if dir != "" {
				c.Path = dir + "/" + c.Path
			}
			p.Changes = append(p.Changes, c)
		}
		summaries = append(summaries, res.Summary)
	}
	p.Message = strings.Join(summaries, "; ") + "\n\nNetBox-Object: netbox_hedgehog.hedgehogfabric:1"
	return p, nil
}

func (e *env) apply(t testing.TB, tg gitrepo.Target) (gitrepo.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if tg.Repo == (gitrepo.Repo{}) {
		tg.Repo = e.repo
	}
	if tg.Branch == "" {
		tg.Branch = "main"
	}
	return e.gh.Apply(ctx, tg, []string{fgdDir}, enginePlan)
}

func gitBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("the git binary is required to check what Argo CD / Flux would see: %v", err)
	}
	return p
}

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(gitBin(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// clone clones branch with the git binary and returns every file.
func clone(t *testing.T, bare, branch string) map[string]string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "checkout")
	run(t, ".", "clone", "--quiet", "--branch", branch, bare, dst)
	files := map[string]string{}
	err := filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dst, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// gitLog returns "sha author|committer|subject|parents" lines, newest first.
func gitLog(t *testing.T, bare, branch string) []string {
	t.Helper()
	out := run(t, ".", "--git-dir", bare, "log", "--format=%H %an <%ae>|%cn|%s|%P", branch)
	return strings.Split(strings.TrimSpace(out), "\n")
}

func countUnder(files map[string]string, dir string) int {
	n := 0
	for p := range files {
		if strings.HasPrefix(p, dir+"/") && !strings.HasSuffix(p, "/.gitkeep") && !strings.Contains(strings.TrimPrefix(p, dir+"/"), "/") {
			n++
		}
	}
	return n
}

// noToken fails when err's text contains the token.
func noToken(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testToken) {
		t.Errorf("error contains the token: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "TESTTOKEN") {
		t.Errorf("error contains part of the token: %v", err)
	}
}
