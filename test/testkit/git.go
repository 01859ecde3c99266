package testkit

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// GitBin returns the path of the git binary and fails the test when there
// is none: the tests check what Argo CD / Flux would see with it.
func GitBin(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("testkit: the git binary is required (it checks what Argo CD / Flux would see, and runs test servers): %v", err)
	}
	return p
}

// GitEnv is the environment the tests run git with: the process's
// environment without HOME, XDG_CONFIG_HOME or any GIT_* variable, then
// HOME=home, no system or global configuration, and "Someone Else" as the
// author and committer of the commits a test makes as another writer.
func GitEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "HOME" || k == "XDG_CONFIG_HOME" || strings.HasPrefix(k, "GIT_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Someone Else", "GIT_AUTHOR_EMAIL=else@example.com",
		"GIT_COMMITTER_NAME=Someone Else", "GIT_COMMITTER_EMAIL=else@example.com")
}

// GitCmd is the git binary with args in dir, with GitEnv and a fresh HOME.
func GitCmd(t testing.TB, dir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(GitBin(t), args...)
	cmd.Dir = dir
	cmd.Env = GitEnv(t.TempDir())
	return cmd
}

// GitErr runs git with args in dir and returns its combined output and
// error, for the callers to whom a failure is an answer.
func GitErr(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	out, err := GitCmd(t, dir, args...).CombinedOutput()
	return string(out), err
}

// Git runs git with args in dir and returns its combined output; it fails
// the test, showing the output, when git fails.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := GitErr(t, dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Clone clones branch of the repository bare with the git binary and
// returns every file of the checkout (slash-separated path to content),
// .git left out.
func Clone(t testing.TB, bare, branch string) map[string]string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "checkout")
	Git(t, ".", "clone", "--quiet", "--branch", branch, bare, dst)
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
		rel, err := filepath.Rel(dst, p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatalf("testkit: reading the checkout of %s: %v", branch, err)
	}
	return files
}

// GitLog returns branch's history in bare as "sha author <email>|committer|
// subject|parents" lines, newest first.
func GitLog(t testing.TB, bare, branch string) []string {
	t.Helper()
	out := Git(t, ".", "--git-dir", bare, "log", "--format=%H %an <%ae>|%cn|%s|%P", branch)
	return strings.Split(strings.TrimSpace(out), "\n")
}

// CheckBlob fails the test unless path on branch of bare is the blob of
// want, by id (sha, as fgd.BlobSHA gives it) and byte for byte.
func CheckBlob(t testing.TB, bare, branch, path, sha string, want []byte) {
	t.Helper()
	rev := branch + ":" + path
	if got := strings.TrimSpace(Git(t, ".", "--git-dir", bare, "rev-parse", rev)); got != sha {
		t.Errorf("%s is blob %s, want %s", path, got, sha)
	}
	out, err := GitCmd(t, ".", "--git-dir", bare, "cat-file", "blob", rev).Output()
	if err != nil || !bytes.Equal(out, want) {
		t.Errorf("%s is not byte for byte the %d-byte file (err %v, %d bytes)", path, len(want), err, len(out))
	}
}

// CountUnder counts the files directly in dir (not in its subdirectories),
// .gitkeep left out.
func CountUnder(files map[string]string, dir string) int {
	n := 0
	for p := range files {
		if strings.HasPrefix(p, dir+"/") && !strings.HasSuffix(p, "/.gitkeep") && !strings.Contains(strings.TrimPrefix(p, dir+"/"), "/") {
			n++
		}
	}
	return n
}

// CheckAcceptanceLayout fails the test unless files (a checkout, as Clone
// returns it) hold the FGD at fgdDir as the engine lays out the acceptance
// fixture: the managed objects by kind, raw/ emptied but for its .gitkeep,
// and the FGD's README, manifest, .gitkeep files and kustomization; and
// the README.md at the repository's root.
func CheckAcceptanceLayout(t testing.TB, files map[string]string, fgdDir string) {
	t.Helper()
	CheckManagedCounts(t, files, fgdDir)
	rawDir := fgdDir + "/raw"
	for p := range files {
		if strings.HasPrefix(p, rawDir+"/") && p != rawDir+"/.gitkeep" {
			t.Errorf("raw/ still holds %s", p)
		}
	}
	for _, p := range []string{"README.md", fgdDir + "/README.md", fgdDir + "/.hnp/manifest.yaml", fgdDir + "/raw/.gitkeep",
		fgdDir + "/unmanaged/.gitkeep", fgdDir + "/managed/kustomization.yaml"} {
		if _, ok := files[p]; !ok {
			t.Errorf("missing %s after Apply", p)
		}
	}
}

// CheckManagedCounts fails the test unless the FGD at fgdDir in files (a
// checkout, as Clone returns it) holds as many managed objects of each
// kind as the engine makes of the acceptance fixture.
func CheckManagedCounts(t testing.TB, files map[string]string, fgdDir string) {
	t.Helper()
	for dir, want := range map[string]int{"connections": 26, "servers": 10, "switches": 7, "switchgroups": 3, "vpcs": 2} {
		if got := CountUnder(files, fgdDir+"/managed/"+dir); got != want {
			t.Errorf("managed/%s has %d files, want %d", dir, got, want)
		}
	}
}

// SeedBare creates the bare repository dir with files as the first commit
// of main, made with the git binary, and returns dir.
func SeedBare(t testing.TB, dir string, files map[string][]byte) string {
	t.Helper()
	Git(t, ".", "init", "--quiet", "--bare", "--initial-branch=main", dir)
	work := filepath.Join(t.TempDir(), "work")
	Git(t, ".", "init", "--quiet", "--initial-branch=main", work)
	WriteFiles(t, work, files)
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "--quiet", "-m", "Seed")
	Git(t, work, "push", "--quiet", dir, "HEAD:refs/heads/main")
	return dir
}
