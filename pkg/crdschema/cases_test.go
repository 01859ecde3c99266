package crdschema

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// fixtureDocs are the user's acceptance documents (testdata/hnp-fabric-1),
// as JSON, each in namespace default as the engine writes it.
func fixtureDocs(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, f := range []string{"prepop.yaml", "test-vpc.yaml", "test-vpc-2.yaml"} {
		b, err := os.ReadFile("../../testdata/hnp-fabric-1/" + f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range bytes.Split(b, []byte("\n---\n")) {
			js := yamlToJSON(t, string(doc))
			if string(js) == "null" {
				continue
			}
			out = append(out, inDefault(t, js))
		}
	}
	return out
}

// inDefault sets metadata.namespace to default, as the engine does.
func inDefault(t testing.TB, js []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	md, ok := m["metadata"].(map[string]any)
	if ok {
		if _, has := md["namespace"]; !has {
			md["namespace"] = "default"
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The user's 48 documents pass, in the reference and here.
func TestAcceptanceDocumentsPass(t *testing.T) {
	t.Parallel()
	ref, s := builtinReference(t), mustBuiltin(t)
	docs := fixtureDocs(t)
	if len(docs) != 48 {
		t.Fatalf("found %d fixture documents, want 48", len(docs))
	}
	for _, js := range docs {
		if compare(t, ref, s, js) {
			t.Errorf("refused: %s", js)
		}
	}
}
