package crdschema

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// bench10k is 10,000 documents: the user's 48 repeated, as JSON.
func bench10k(b *testing.B) [][]byte {
	b.Helper()
	docs := fixtureDocs(b)
	out := make([][]byte, 0, 10000)
	for len(out) < 10000 {
		out = append(out, docs[len(out)%len(docs)])
	}
	return out
}

// BenchmarkCheck10k is this package's verdict on 10,000 CRs (the JSON
// decode excluded: the engine hands over values).
func BenchmarkCheck10k(b *testing.B) {
	s := mustBuiltin(b)
	docs := bench10k(b)
	objs := make([]map[string]any, len(docs))
	for i, js := range docs {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			b.Fatal(err)
		}
		objs[i] = u.Object
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range objs {
			if _, p := s.Check(o["apiVersion"].(string), o["kind"].(string), o); len(p) > 0 {
				b.Fatal(p)
			}
		}
	}
}

// BenchmarkReference10k is the reference implementation's verdict on the
// same 10,000 CRs, JSON decode included (it mutates what it checks).
func BenchmarkReference10k(b *testing.B) {
	ref := builtinReference(b)
	docs := bench10k(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, js := range docs {
			if _, refused, d := ref.verdict(b, js); refused {
				b.Fatal(d)
			}
		}
	}
}

// BenchmarkDecodeJSON10k is the JSON decode alone, to subtract from
// BenchmarkReference10k.
func BenchmarkDecodeJSON10k(b *testing.B) {
	docs := bench10k(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, js := range docs {
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON(js); err != nil {
				b.Fatal(err)
			}
		}
	}
}
