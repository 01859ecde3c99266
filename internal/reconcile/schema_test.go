package reconcile

import (
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/pkg/crdschema"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// The FGD engine with schemas reports a rejected CR in DirPlan.Rejected,
// the place the status text and the Outcome take it from.
func TestFGDReportsSchemaFailures(t *testing.T) {
	t.Parallel()
	schemas, err := crdschema.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte("apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  name: leaf-1\nspec:\n  role: leaf\n")
	snap := fgd.Snapshot{
		Entries:  []fgd.Entry{{Path: "raw/sw.yaml", Type: fgd.TypeFile, Size: int64(len(doc)), SHA: fgd.BlobSHA(doc)}},
		Contents: map[string][]byte{"raw/sw.yaml": doc},
	}
	dp, err := FGD{Schemas: schemas}.Plan(snap, PlanInput{FabricID: 1, FabricName: "f"})
	if err != nil {
		t.Fatal(err)
	}
	want := `raw/sw.yaml#0 Switch leaf-1: fails the Switch schema of wiring.githedgehog.com/v1beta1: spec.role: Unsupported value: "leaf": supported values: "spine", "server-leaf", "border-leaf", "mixed-leaf", "virtual-edge"`
	if len(dp.Rejected) != 1 || dp.Rejected[0] != want {
		t.Errorf("Rejected = %q, want [%q]", dp.Rejected, want)
	}
	if !strings.Contains(problemText(dp), want) {
		t.Errorf("status text %q does not name the problem", problemText(dp))
	}
	if dp.Placed["unmanaged"] != 1 {
		t.Errorf("Placed = %v, want 1 unmanaged", dp.Placed)
	}
}
