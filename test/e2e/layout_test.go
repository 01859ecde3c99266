package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestRepositoryRoot: a gitops_directory of "/" lays the FGD out at the
// repository root, next to the files already there.
func TestRepositoryRoot(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	repoID, bare, err := s.env.NewRepo("fabric-config", rawSeed(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	f := s.createFabric(t, "fabric-1", repoID, "/")
	s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	clone := s.clone(t, bare)
	files, err := harness.Files(clone, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"README.md", "managed/kustomization.yaml", ".hnp/manifest.yaml", "raw/.gitkeep", "unmanaged/.gitkeep"} {
		if !slices.Contains(files, p) {
			t.Errorf("%s missing at the root: %v", p, files)
		}
	}
	crs := 0
	for _, p := range filesUnder(files, "managed/") {
		if !strings.HasSuffix(p, "/.gitkeep") && p != "managed/kustomization.yaml" {
			crs++
		}
	}
	if crs != 48 {
		t.Errorf("managed/ holds %d CR files, want 48", crs)
	}
	if raw := filesUnder(files, "raw/"); !slices.Equal(raw, []string{"raw/.gitkeep"}) {
		t.Errorf("raw/ holds %v, want only raw/.gitkeep", raw)
	}
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2", n)
	}
}

// TestArchiveRenameWithExtension: a fabric whose archive strategy is
// rename_with_extension keeps its ingested sources as raw/<name>.archived.
func TestArchiveRenameWithExtension(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	repoID, bare := s.newRepo(t)
	f, err := s.env.NetBox.CreateFabric(netboxsim.Fabric{Name: "fabric-1", GitRepository: repoID,
		GitOpsDirectory: fgdPath, ArchiveStrategy: "rename_with_extension"})
	if err != nil {
		t.Fatal(err)
	}
	s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	files, err := harness.Files(s.clone(t, bare), fgdPath)
	if err != nil {
		t.Fatal(err)
	}
	raw := filesUnder(files, "raw/")
	var want []string
	for name := range fixtures(t) {
		want = append(want, "raw/"+name+".archived")
	}
	want = append(want, "raw/.gitkeep")
	slices.Sort(want)
	if !slices.Equal(raw, want) {
		t.Errorf("raw/ holds %v, want %v", raw, want)
	}
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2", n)
	}
}

// TestDirectoryChanged: changing a fabric's gitops_directory in NetBox
// lays out the new directory (from its own raw/) in one commit and leaves
// the old one as it is.
func TestDirectoryChanged(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	oldDir, newDir := "gitops/old", "gitops/new"
	repoID, bare, err := s.env.NewRepo("fabric-config", rawSeed(t, oldDir, newDir))
	if err != nil {
		t.Fatal(err)
	}
	f := s.createFabric(t, "fabric-1", repoID, oldDir)
	s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	oldHead := s.git(t, bare, "rev-parse", "main")
	oldTree := s.git(t, bare, "rev-parse", "main:"+oldDir)
	if _, err := s.env.NetBox.UpdateFabric(f.ID, map[string]any{"gitops_directory": newDir}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the new directory was not laid out", func() bool {
		h, _ := s.env.GitHub.Head(harness.Owner, "fabric-config", "main")
		return h != oldHead
	})
	got := s.waitStatus(t, f.ID, status.Initialized, 15*time.Second)
	if n := s.commits(t, bare); n != 3 {
		t.Errorf("commits on main: %d, want 3", n)
	}
	if tree := s.git(t, bare, "rev-parse", "main:"+oldDir); tree != oldTree {
		t.Errorf("the old directory changed")
	}
	stat := s.git(t, bare, "show", "--stat=400", "--format=", "main")
	if !strings.Contains(stat, newDir+"/managed/kustomization.yaml") || strings.Contains(stat, oldDir+"/") {
		t.Errorf("the commit should touch %s only:\n%s", newDir, stat)
	}
	head := s.git(t, bare, "rev-parse", "main")
	if u := fmt.Sprint(got.CustomFields[status.FieldCommitURL]); !strings.HasSuffix(u, "/commit/"+head) {
		t.Errorf("gitops_commit_url %s, want the head %s", u, head)
	}
}

// TestTwoRepositories: fabrics of two repositories created together are
// committed to each repository once, and both are initialized.
func TestTwoRepositories(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	var bares []string
	var ids []int64
	for _, name := range []string{"config-a", "config-b"} {
		repoID, bare, err := s.env.NewRepo(name, rawSeed(t, fgdPath))
		if err != nil {
			t.Fatal(err)
		}
		bares = append(bares, bare)
		ids = append(ids, s.createFabric(t, "fabric-"+name, repoID, fgdPath).ID)
	}
	for i, id := range ids {
		s.waitStatus(t, id, status.Initialized, 30*time.Second)
		if n := s.commits(t, bares[i]); n != 2 {
			t.Errorf("%s: commits on main: %d, want 2", bares[i], n)
		}
	}
	if st := s.env.GitHub.Stats(); st.MaxWriters > 1 {
		t.Errorf("concurrent writers on one branch: %d, want at most 1", st.MaxWriters)
	}
}

// TestBadSignatureHealedByResync: NetBox signs with a secret the service
// does not know; the deliveries are refused with 401, and the resync still
// initializes the fabric.
func TestBadSignatureHealedByResync(t *testing.T) {
	t.Parallel()
	s := startEnv(t, harness.Options{})
	s.startService(t, fastArgs...)
	if _, _, err := s.env.NetBox.AddWebhook(s.svc.HTTPURL+"/webhooks/netbox", "not-the-service-secret"); err != nil {
		t.Fatal(err)
	}
	if err := s.env.NetBox.SetupStatusFields(); err != nil {
		t.Fatal(err)
	}
	repoID, bare := s.newRepo(t)
	f := s.createFabric(t, "fabric-1", repoID, fgdPath)
	ds, err := s.env.NetBox.WaitDeliveries(waitCtx(t, 10*time.Second), 1)
	if err != nil {
		t.Fatal(err)
	}
	if ds[0].StatusCode != 401 {
		t.Fatalf("the badly signed delivery answered %d, want 401", ds[0].StatusCode)
	}
	s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	if n := metric(t, s.svc, `hnp_gitops_webhook_deliveries_total{result="bad_signature"}`); n < 1 {
		t.Errorf("bad_signature deliveries: %v, want at least 1", n)
	}
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2", n)
	}
}

// filesUnder returns the paths of files with prefix dir.
func filesUnder(files []string, dir string) []string {
	var out []string
	for _, p := range files {
		if strings.HasPrefix(p, dir) {
			out = append(out, p)
		}
	}
	return out
}
