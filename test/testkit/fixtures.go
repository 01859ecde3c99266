package testkit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// ModuleRoot returns the directory holding this module's go.mod, found by
// walking up from the working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("testkit: working directory: %v", err)
	}
	for dir := wd; ; {
		_, err := os.Stat(filepath.Join(dir, "go.mod"))
		if err == nil {
			return dir
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("testkit: looking for go.mod: %v", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testkit: no go.mod in %s or any directory above it", wd)
		}
		dir = parent
	}
}

// FixtureDir returns the acceptance fixture hnp-fabric-1, in the module's
// testdata/ (source and licence in testdata/README.md); it fails the test
// when the directory is missing.
func FixtureDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(ModuleRoot(t), "testdata", "hnp-fabric-1")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("testkit: the acceptance fixtures are missing at %s: %v", dir, err)
	}
	return dir
}

// Fixtures returns the user's three files of hnp-fabric-1 (prepop.yaml,
// test-vpc.yaml, test-vpc-2.yaml) by name.
func Fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	dir := FixtureDir(t)
	out := map[string][]byte{}
	for _, f := range []string{"prepop.yaml", "test-vpc.yaml", "test-vpc-2.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("testkit: fixture: %v", err)
		}
		out[f] = b
	}
	return out
}

// AcceptanceSeed is what the acceptance tests seed a repository with: the
// user's three files of hnp-fabric-1 under rawDir, plus a README.md at the
// repository's root, outside the FGD, that must never change.
func AcceptanceSeed(t testing.TB, rawDir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{"README.md": []byte("# fabrics\n")}
	for n, b := range Fixtures(t) {
		files[rawDir+"/"+n] = b
	}
	return files
}

// WriteFiles writes files (slash-separated paths relative to dir) under
// dir, creating the directories they need.
func WriteFiles(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for p, b := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil { //nolint:gosec // test files, read by git
			t.Fatal(err)
		}
	}
}

// Testdata reads the file name under the test's own testdata/ folder.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
