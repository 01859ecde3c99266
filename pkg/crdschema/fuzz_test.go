package crdschema

import (
	"encoding/json"
	"testing"
)

// FuzzCheckAgainstReference: any JSON object of a built-in kind gets the
// reference's verdict and field paths. Seeds: the user's documents.
func FuzzCheckAgainstReference(f *testing.F) {
	for _, js := range fixtureDocs(f) {
		f.Add(js)
	}
	f.Add([]byte(`{"apiVersion":"wiring.githedgehog.com/v1beta1","kind":"Switch","metadata":{"name":"s","namespace":"default","labels":{"a":"b"}},"spec":{"role":"spine","asn":1.5,"x":null}}`))
	var ref *reference
	var s *Set
	f.Fuzz(func(t *testing.T, js []byte) {
		var obj map[string]any
		if json.Unmarshal(js, &obj) != nil {
			return // not a JSON object: nothing the engine would hand over
		}
		av, _ := obj["apiVersion"].(string)
		kind, _ := obj["kind"].(string)
		if ref == nil {
			ref, s = builtinReference(t), mustBuiltin(t)
		}
		if _, ok := s.schemas[gvkOf(av, kind)]; !ok {
			return // not a built-in kind: Check says unknown, no verdict to compare
		}
		compare(t, ref, s, js)
	})
}
