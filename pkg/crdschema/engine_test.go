package crdschema

import (
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// engineRun runs the FGD engine on one raw/ file, with or without schemas.
func engineRun(t *testing.T, content string, sc fgd.SchemaChecker) *fgd.Result {
	t.Helper()
	p := "raw/doc.yaml"
	res, err := fgd.Compute(fgd.Snapshot{
		Entries:  []fgd.Entry{{Path: p, Type: fgd.TypeFile, Size: int64(len(content)), SHA: fgd.BlobSHA([]byte(content))}},
		Contents: map[string][]byte{p: []byte(content)},
	}, fgd.Settings{FabricID: 1, FabricName: "fabric-1", Schemas: sc})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEngineVerdictsAgainstTheReference feeds documents through the engine:
// without schemas it writes the managed file, which the reference judges as
// kubectl would send it (sigs.k8s.io/yaml); with the built-in schemas the
// engine must manage exactly the documents the reference accepts. This
// holds the engine's reading of scalars (YAML 1.1 as kubectl reads the file
// it writes) to the reference.
func TestEngineVerdictsAgainstTheReference(t *testing.T) {
	t.Parallel()
	ref, s := builtinReference(t), mustBuiltin(t)
	const sw = "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  name: leaf-1\nspec:\n  role: spine\n"
	values := []string{
		"65000", "0xFDE8", "0o17", "017", "1_000", "+5", "-1", "65000.0", "6.5e4", "1e3", "65000.5", ".inf", ".nan",
		"~", "null", "yes", "no", "on", "true", "True", "\"true\"", "2024-01-01", "2024-01-01T10:00:00Z", "1:20",
		"\"65000\"", "'x'", "x y", "[]", "{}", "[1]", "!!str 12", "!!int \"12\"", "99999999999999999999",
	}
	for _, field := range []string{"asn", "enableAllPorts", "description"} {
		for _, v := range values {
			doc := sw + "  " + field + ": " + v + "\n"
			t.Run(field+"="+v, func(t *testing.T) {
				t.Parallel()
				plain := engineRun(t, doc, nil)
				var managed []byte
				for _, ch := range plain.Changes {
					if strings.HasPrefix(ch.Path, "managed/switches/") {
						managed = ch.Content
					}
				}
				if managed == nil {
					t.Fatalf("the engine does not manage this document even without schemas: %+v", plain.Documents)
				}
				// kubectl cannot even send what does not convert to JSON.
				refused, detail := true, ""
				if js, err := sigsyaml.YAMLToJSON(managed); err != nil {
					detail = "YAMLToJSON: " + err.Error()
				} else {
					_, refused, detail = ref.verdict(t, js)
				}
				checked := engineRun(t, doc, s)
				d := checked.Documents[0]
				if got := d.Placement == fgd.PlacementUnmanaged; got != refused {
					t.Errorf("reference refused=%v (%s), engine placed it %s (%s)\nmanaged file:\n%s", refused, detail, d.Placement, d.Reason, managed)
				}
				if refused && d.Schema != fgd.SchemaInvalid {
					t.Errorf("Schema = %q, want %q", d.Schema, fgd.SchemaInvalid)
				}
			})
		}
	}
}
