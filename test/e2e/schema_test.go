package e2e

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// schemaTypo is a VPC with a misspelt field: valid YAML, a managed kind and
// name, refused by the API server under strict validation.
const schemaTypo = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: typo-vpc\nspec:\n  subnetz:\n    default:\n      subnet: 10.0.9.0/24\n"

// The real service, with the built-in schemas: the user's 48 documents
// are managed, a CR with a typo goes to unmanaged/ byte for byte, and the
// field path and message reach the fabric's status; the report stays
// through the resyncs until the user asks for a fresh run.
func TestSchemaFailureReachesTheStatus(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{}, fastArgs...)
	seed := rawSeed(t, fgdPath)
	seed[path.Join(fgdPath, "raw", "typo.yaml")] = []byte(schemaTypo)
	repoID, bare, err := s.env.NewRepo("fabric-config", seed)
	if err != nil {
		t.Fatal(err)
	}
	f := s.createFabric(t, "fabric-1", repoID, fgdPath)
	got := s.waitStatus(t, f.ID, status.Error, 30*time.Second)
	msg := fmt.Sprint(got.CustomFields[status.FieldError])
	want := `Some documents failed their CRD schema and were moved to unmanaged/: raw/typo.yaml#0 VPC typo-vpc: fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz". Correct them and move them back into raw/. The rest of the directory was reconciled.`
	if msg != want {
		t.Errorf("directory_init_error\n got %q\nwant %q", msg, want)
	}
	dir := s.clone(t, bare)
	files, err := harness.Files(dir, fgdPath)
	if err != nil {
		t.Fatal(err)
	}
	managed := 0
	for _, p := range files {
		if strings.HasPrefix(p, "managed/") && strings.HasSuffix(p, ".yaml") && p != "managed/kustomization.yaml" {
			managed++
		}
	}
	if managed != 48 {
		t.Errorf("%d managed files, want the user's 48", managed)
	}
	if b, err := os.ReadFile(filepath.Join(dir, fgdPath, "unmanaged", "typo.yaml")); err != nil || string(b) != schemaTypo {
		t.Errorf("unmanaged/typo.yaml = %q, %v; want the source bytes", b, err)
	}
	if raw := filesUnder(files, "raw/"); len(raw) != 1 || raw[0] != "raw/.gitkeep" {
		t.Errorf("raw/ holds %v, want only raw/.gitkeep", raw)
	}
	body := s.git(t, bare, "log", "-1", "--format=%B", "main")
	if !strings.Contains(body, `Failed its CRD schema, moved to unmanaged/: raw/typo.yaml#0 VPC typo-vpc: fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz"`) {
		t.Errorf("the commit message does not name the failure:\n%s", body)
	}

	// The journal says the same, as a warning.
	journal := func() []netboxsim.JournalEntry { return s.env.NetBox.Journal(netboxsim.FabricObjectType, f.ID) }
	eventually(t, 10*time.Second, "one journal entry", func() bool { return len(journal()) == 1 })
	if e := journal()[0]; e.Kind != "warning" || !strings.Contains(e.Comments, "1 document failed its CRD schema and was moved to unmanaged/") ||
		!strings.Contains(e.Comments, `typo-vpc: fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz"`) {
		t.Errorf("journal entry %s:\n%s\nwant a warning naming the failure", e.Kind, e.Comments)
	}

	// Full resyncs come every ~1s: the report stays, nothing is written.
	writes := len(serviceWrites(s.env.NetBox, f.ID))
	time.Sleep(2500 * time.Millisecond)
	if w := len(serviceWrites(s.env.NetBox, f.ID)); w != writes {
		t.Errorf("status writes went from %d to %d while nothing changed", writes, w)
	}
	if got, _ := s.env.NetBox.Fabric(f.ID); fmt.Sprint(got.CustomFields[status.FieldError]) != want {
		t.Errorf("the report did not stay: %v", got.CustomFields[status.FieldError])
	}
	if n := len(journal()); n != 1 {
		t.Errorf("%d journal entries after the no-op resyncs, want still 1", n)
	}

	if _, err := s.env.NetBox.UpdateFabric(f.ID, map[string]any{
		"custom_fields": map[string]any{status.FieldStatus: string(status.NotInitialized)},
	}); err != nil {
		t.Fatal(err)
	}
	got = s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	if e := got.CustomFields[status.FieldError]; e != "" && e != nil {
		t.Errorf("directory_init_error %q after the user asked again, want empty", e)
	}
}

// --crd-dir replaces the built-in schemas in serve: with a VPC schema
// that keeps any spec field, the same "typo" is a valid VPC and the fabric
// ends initialized with it managed.
func TestServeCRDDir(t *testing.T) {
	t.Parallel()
	crds := t.TempDir()
	// A VPC CRD whose spec keeps any field, as a newer release might ship.
	open, err := os.ReadFile(filepath.Join(testkit.ModuleRoot(t), "testdata", "open-vpc-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(crds, "vpcs.yaml"), open, 0o644); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, harness.Options{}, append([]string{"--crd-dir=" + crds}, fastArgs...)...)
	seed := map[string][]byte{path.Join(fgdPath, "raw", "typo.yaml"): []byte(schemaTypo)}
	repoID, bare, err := s.env.NewRepo("fabric-config", seed)
	if err != nil {
		t.Fatal(err)
	}
	f := s.createFabric(t, "fabric-1", repoID, fgdPath)
	s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	files, err := harness.Files(s.clone(t, bare), fgdPath)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(files, "managed/vpcs/typo-vpc.yaml") {
		t.Errorf("managed/vpcs/typo-vpc.yaml missing: %v", files)
	}
}
