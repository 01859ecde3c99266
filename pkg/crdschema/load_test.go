package crdschema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Kubernetes ConfigMap volume holds its files as symlinks into a
// "..data" folder; Load reads that layout (the Helm chart's crds value).
func TestLoadConfigMapLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "..2026_12_04_18_00_00.1")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := builtin.ReadFile("crds/vpc.githedgehog.com_vpcs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "vpcs.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(data), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "vpcs.yaml"), filepath.Join(dir, "vpcs.yaml")); err != nil {
		t.Fatal(err)
	}
	s, err := Load(os.DirFS(dir), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Kinds(), ","); got != "vpc.githedgehog.com/v1beta1 VPC" {
		t.Errorf("Kinds = %s", got)
	}
	if s.Source() != dir {
		t.Errorf("Source = %q", s.Source())
	}
}

// The built-in set is the 14 Hedgehog CRDs.
func TestBuiltinKinds(t *testing.T) {
	t.Parallel()
	s := mustBuiltin(t)
	if n := len(s.Kinds()); n != 14 {
		t.Errorf("%d built-in kinds, want 14: %v", n, s.Kinds())
	}
	if s.Source() != BuiltinSource {
		t.Errorf("Source = %q", s.Source())
	}
	if known, _ := s.Check("vpc.githedgehog.com/v1alpha2", "VPC", map[string]any{}); known {
		t.Error("a version without a schema is known")
	}
}

// A set that would check less than it says is refused.
func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	const crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: g.example.com\n  names: {kind: K}\n  versions:\n  - name: v1\n    served: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            %s\n"
	for _, tc := range []struct{ name, files, want string }{
		{"CEL rules", strings.Replace(crd, "%s", "type: object\n            x-kubernetes-validations: [{rule: \"true\"}]", 1), `unsupported schema keyword "x-kubernetes-validations"`},
		{"a string format", strings.Replace(crd, "%s", "type: object\n            properties:\n              u: {type: string, format: uuid}", 1), `unsupported string format "uuid"`},
		{"an integer format", strings.Replace(crd, "%s", "type: object\n            properties:\n              i: {type: integer, format: int32}", 1), ""},
		{"oneOf", strings.Replace(crd, "%s", "type: object\n            oneOf: [{required: [a]}]", 1), `unsupported schema keyword "oneOf"`},
		{"no schema", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: g\n  names: {kind: K}\n  versions:\n  - {name: v1, served: true}\n", "no openAPIV3Schema"},
		{"twice", strings.Replace(crd, "%s", "type: object", 1) + "---\n" + strings.Replace(crd, "%s", "type: object", 1), "defined twice"},
		{"not YAML", "a: [", "did not find expected"},
		{"no CRD", "apiVersion: v1\nkind: ConfigMap\n", "no CustomResourceDefinition found"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "crds.yaml"), []byte(tc.files), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(os.DirFS(dir), "test")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}
