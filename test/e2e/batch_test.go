package e2e

import (
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
)

// TestBurstOneRepository: 30 fabrics of one repository created as fast as
// the API allows are gathered into a few commits (one writer at a time),
// and every FGD is laid out.
func TestBurstOneRepository(t *testing.T) {
	t.Parallel()
	const n = 30
	s := startStack(t, harness.Options{}, "--batch-window=250ms")
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = fmt.Sprintf("fabrics/f%02d", i)
	}
	repoID, bare, err := s.env.NewRepo("fabric-config", rawSeed(t, dirs...))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, n)
	for i, dir := range dirs {
		ids[i] = s.createFabric(t, path.Base(dir), repoID, dir).ID
	}
	for _, id := range ids {
		s.waitStatus(t, id, status.Initialized, 60*time.Second)
	}
	commits := s.commits(t, bare) - 1
	st := s.env.GitHub.Stats()
	t.Logf("%d fabrics in %d commits, %d GitHub requests", n, commits, st.Total())
	if commits < 1 || commits > n/3 {
		t.Errorf("%d commits for %d fabrics created together, want a few batches (at most %d)", commits, n, n/3)
	}
	if st.MaxWriters > 1 {
		t.Errorf("concurrent writers on the branch: %d, want 1", st.MaxWriters)
	}
	clone := s.clone(t, bare)
	for _, dir := range dirs {
		files, err := harness.Files(clone, dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(filesUnder(files, "managed/vpcs/")) != 3 { // 2 VPCs and the .gitkeep
			t.Errorf("%s/managed/vpcs holds %v", dir, filesUnder(files, "managed/vpcs/"))
		}
	}
}

// TestConflictThenFixed: two source files define the same VPC with different
// content. The rest is laid out in one commit and the fabric shows error
// naming the conflict; the resyncs write nothing more while nothing changes;
// after the user removes one file and asks for a fresh run, it is
// initialized.
func TestConflictThenFixed(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{}, fastArgs...)
	seed := rawSeed(t, fgdPath)
	other := strings.Replace(string(fixtures(t)["test-vpc.yaml"]), "10.0.1.0/24", "10.0.7.0/24", 1)
	if other == string(fixtures(t)["test-vpc.yaml"]) {
		t.Fatal("the fixture changed: could not make a conflicting copy of test-vpc")
	}
	seed[path.Join(fgdPath, "raw", "copy-of-test-vpc.yaml")] = []byte(other)
	repoID, bare, err := s.env.NewRepo("fabric-config", seed)
	if err != nil {
		t.Fatal(err)
	}
	f := s.createFabric(t, "fabric-1", repoID, fgdPath)
	got := s.waitStatus(t, f.ID, status.Error, 30*time.Second)
	msg := fmt.Sprint(got.CustomFields[status.FieldError])
	if !strings.Contains(msg, "test-vpc") || !strings.Contains(msg, "not placed") {
		t.Errorf("directory_init_error %q, want it to name the conflicting test-vpc", msg)
	}
	if n := s.commits(t, bare); n != 2 {
		t.Fatalf("commits on main: %d, want 2 (the rest is laid out)", n)
	}
	head := s.git(t, bare, "rev-parse", "main")
	if u := fmt.Sprint(got.CustomFields[status.FieldCommitURL]); !strings.HasSuffix(u, "/commit/"+head) {
		t.Errorf("gitops_commit_url %s, want the commit of the rest %s", u, head)
	}
	files, err := harness.Files(s.clone(t, bare), fgdPath)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(files, "raw/test-vpc.yaml") || !contains(files, "raw/copy-of-test-vpc.yaml") {
		t.Errorf("both conflicting sources must stay in raw/: %v", filesUnder(files, "raw/"))
	}
	// Full resyncs come every ~1s: they must not write the same error again.
	writes := len(serviceWrites(s.env.NetBox, f.ID))
	time.Sleep(2500 * time.Millisecond)
	if w := len(serviceWrites(s.env.NetBox, f.ID)); w != writes {
		t.Errorf("status writes went from %d to %d while nothing changed", writes, w)
	}
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d after the resyncs, want still 2", n)
	}

	if _, err := s.env.GitHub.SeedFiles(harness.Owner, "fabric-config", "main",
		map[string][]byte{path.Join(fgdPath, "raw", "copy-of-test-vpc.yaml"): nil}, "Remove the duplicate"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.env.NetBox.UpdateFabric(f.ID, map[string]any{
		"custom_fields": map[string]any{status.FieldStatus: string(status.NotInitialized)},
	}); err != nil {
		t.Fatal(err)
	}
	got = s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	if e := got.CustomFields[status.FieldError]; e != "" && e != nil {
		t.Errorf("directory_init_error %q after the fix, want empty", e)
	}
	files, err = harness.Files(s.clone(t, bare), fgdPath)
	if err != nil {
		t.Fatal(err)
	}
	if raw := filesUnder(files, "raw/"); len(raw) != 1 || raw[0] != "raw/.gitkeep" {
		t.Errorf("raw/ holds %v after the fix, want only raw/.gitkeep", raw)
	}
}
