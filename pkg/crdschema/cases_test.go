package crdschema

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
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

// TestCasesAgainstTheReference is the named table: documents as a user
// writes them, each judged by the reference implementation and by this
// package (same verdict, same field paths) and held to the expected verdict.
func TestCasesAgainstTheReference(t *testing.T) {
	t.Parallel()
	ref, s := builtinReference(t), mustBuiltin(t)
	const vpc = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-1\n"
	const sw = "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  name: leaf-1\n"
	for _, tc := range []struct {
		name   string
		doc    string
		refuse bool
	}{
		{"minimal VPC", vpc + "spec: {}", false},
		{"VPC without spec", vpc, false},
		{"subnet vlan as integer", vpc + "spec:\n  subnets:\n    default:\n      subnet: 10.0.0.0/24\n      vlan: 1001\n", false},
		{"subnet vlan as quoted string", vpc + "spec:\n  subnets:\n    default:\n      vlan: \"1001\"\n", true},
		{"typo in a spec field", vpc + "spec:\n  subnetz: {}\n", true},
		{"typo at the top", vpc + "sepc: {}\n", true},
		{"unknown field in a map value", vpc + "spec:\n  subnets:\n    default:\n      vlann: 1\n", true},
		{"unknown field in a list item", "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  unbundled:\n    link:\n      server:\n        port: s/e\n        speed: 10\n      switch:\n        port: l/E1/1\n", true},
		{"status is dropped on create", vpc + "spec: {}\nstatus: {}\n", false},
		{"an unknown field in status is still unknown", vpc + "spec: {}\nstatus:\n  anything: [1, 2]\n", true},
		{"enum value", sw + "spec:\n  role: server-leaf\n", false},
		{"enum typo", sw + "spec:\n  role: server-leafs\n", true},
		{"enum as number", sw + "spec:\n  role: 1\n", true},
		{"redundancy type enum", sw + "spec:\n  role: spine\n  redundancy:\n    type: vpc\n", true},
		{"boolean as yes", sw + "spec:\n  role: spine\n  enableAllPorts: yes\n", false},
		{"boolean as quoted true", sw + "spec:\n  role: spine\n  enableAllPorts: \"true\"\n", true},
		{"null optional field is pruned", sw + "spec:\n  role: spine\n  description: null\n", false},
		{"null required field", sw + "spec:\n  role: null\n", true},
		{"missing required role", sw + "spec:\n  description: x\n", true},
		{"default fills a null with a default", sw + "spec:\n  role: spine\n  linkFlapErrDisable:\n    flapThreshold: null\n", false},
		{"bound: at the maximum", sw + "spec:\n  role: spine\n  linkFlapErrDisable:\n    flapThreshold: 50\n", false},
		{"bound: over the maximum", sw + "spec:\n  role: spine\n  linkFlapErrDisable:\n    flapThreshold: 51\n", true},
		{"bound: under the minimum", sw + "spec:\n  role: spine\n  linkFlapErrDisable:\n    flapThreshold: 0\n", true},
		{"integer as float with fraction", sw + "spec:\n  role: spine\n  asn: 65000.5\n", true},
		{"integer written as 65000.0", sw + "spec:\n  role: spine\n  asn: 65000.0\n", false},
		{"integer in hex", sw + "spec:\n  role: spine\n  asn: 0xFDE8\n", false},
		{"integer over int64", sw + "spec:\n  role: spine\n  asn: 99999999999999999999\n", true},
		{"list where an object is wanted", sw + "spec:\n  role: spine\n  boot: []\n", true},
		{"string where a list is wanted", sw + "spec:\n  role: spine\n  groups: mclag-1\n", true},
		{"pattern match", "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  fabric:\n    links:\n    - leaf:\n        ip: 172.30.30.1/31\n        port: leaf-1/E1/1\n      spine:\n        ip: 172.30.30.0/31\n        port: spine-1/E1/1\n", false},
		{"pattern mismatch", "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Connection\nmetadata:\n  name: c\nspec:\n  fabric:\n    links:\n    - leaf:\n        ip: 172.30.30.1\n        port: leaf-1/E1/1\n", true},
		{"metadata: labels", vpc + "  labels:\n    team: net\n    example.com/tier: \"1\"\nspec: {}\n", false},
		{"metadata: label value with a space", vpc + "  labels:\n    team: net ops\nspec: {}\n", true},
		{"metadata: label key with two slashes", vpc + "  labels:\n    a/b/c: x\nspec: {}\n", true},
		{"metadata: label value a number", vpc + "  labels:\n    tier: 1\nspec: {}\n", true},
		{"metadata: labels a list", vpc + "  labels: [a]\nspec: {}\n", true},
		{"metadata: annotation value a number", vpc + "  annotations:\n    note: 1\nspec: {}\n", true},
		{"metadata: annotation key invalid", vpc + "  annotations:\n    \"bad key!\": x\nspec: {}\n", true},
		{"metadata: annotation key in upper case", vpc + "  annotations:\n    Note: x\nspec: {}\n", false},
		{"metadata: annotations over 256 KiB", vpc + "  annotations:\n    big: " + strings.Repeat("x", 256*1024) + "\nspec: {}\n", true},
		{"metadata: unknown field", vpc + "  nmae: x\nspec: {}\n", true},
		{"metadata: unknown field in an owner reference", vpc + "  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: c\n    uid: 1234\n    extra: x\n", true},
		{"metadata: owner reference", vpc + "  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: c\n    uid: \"1234\"\n", false},
		{"metadata: owner reference without uid", vpc + "  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: c\n", true},
		{"metadata: two controllers", vpc + "  ownerReferences:\n  - {apiVersion: v1, kind: A, name: a, uid: \"1\", controller: true}\n  - {apiVersion: v1, kind: B, name: b, uid: \"2\", controller: true}\n", true},
		{"metadata: finalizers", vpc + "  finalizers:\n  - example.com/keep\n", false},
		{"metadata: finalizer invalid", vpc + "  finalizers:\n  - \"no spaces\"\n", true},
		{"metadata: orphan and foreground", vpc + "  finalizers:\n  - orphan\n  - foregroundDeletion\n", true},
		{"metadata: generateName with a name", vpc + "  generateName: vpc-\n", false},
		{"metadata: generateName invalid", vpc + "  generateName: VPC_\n", true},
		{"metadata: name invalid", "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: Vpc_1\n", true},
		{"metadata: namespace invalid", vpc + "  namespace: Not_A_Label\n", true},
		{"metadata: deletionGracePeriodSeconds a string", vpc + "  deletionGracePeriodSeconds: soon\n", true},
		{"metadata: creationTimestamp not a time", vpc + "  creationTimestamp: yesterday\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			js := inDefault(t, yamlToJSON(t, tc.doc))
			if refused := compare(t, ref, s, js); refused != tc.refuse {
				t.Errorf("the reference refused=%v, the table wants %v", refused, tc.refuse)
			}
		})
	}
}
