package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/test/testkit"
)

const (
	planGoodVPC = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: good\nspec:\n  subnets:\n    default:\n      subnet: 10.0.0.0/24\n      vlan: 1001\n"
	planTypoVPC = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: typo\nspec:\n  subnetz: {}\n"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// plan shows the schema verdicts the service reaches: a CR that fails its
// schema goes to unmanaged/ with the field path and message; --crd-dir
// replaces the built-in schemas; a schema the checker cannot honour stops
// plan with a usage error.
func TestPlanSchemaVerdicts(t *testing.T) {
	t.Parallel()
	fgdDir := t.TempDir()
	writeFiles(t, fgdDir, map[string]string{"raw/vpcs.yaml": planGoodVPC + "---\n" + planTypoVPC})

	code, stdout, stderr := runPlanCLI(t, nil, "plan", "--dir", fgdDir, "--fabric-name", "f")
	if code != ExitOK {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"managed   raw/vpcs.yaml#0  VPC good  -> managed/vpcs/good.yaml\n",
		`unmanaged raw/vpcs.yaml#1  VPC typo  -> unmanaged/vpcs.yaml  (fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz")` + "\n",
		`Failed its CRD schema, moved to unmanaged/: raw/vpcs.yaml#1 VPC typo: fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz"` + "\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, stdout)
		}
	}

	newer := t.TempDir()
	writeFiles(t, newer, map[string]string{"vpcs.yaml": openVPCCRD(t), "README.md": "not a CRD"})
	code, stdout, stderr = runPlanCLI(t, nil, "plan", "--dir", fgdDir, "--fabric-name", "f", "--crd-dir", newer, "--output", "json")
	if code != ExitOK {
		t.Fatalf("plan --crd-dir: exit %d: %s", code, stderr)
	}
	if p := planJSONOf(t, stdout); p.Counts["managed"] != 2 || p.Documents[1]["schema"] != "valid" {
		t.Errorf("plan --crd-dir with an open VPC schema: counts %v, documents %v; want both managed and valid", p.Counts, p.Documents)
	}

	// Switch has no schema in that folder: placed as before, noted.
	writeFiles(t, fgdDir, map[string]string{"raw/sw.yaml": "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  name: s\nspec:\n  role: any\n"})
	code, stdout, _ = runPlanCLI(t, nil, "plan", "--dir", fgdDir, "--fabric-name", "f", "--crd-dir", newer)
	if want := "(not schema-checked: no schema for Switch wiring.githedgehog.com/v1beta1)"; code != ExitOK || !strings.Contains(stdout, want) {
		t.Errorf("plan with a Switch the folder has no schema for: exit %d, want %q in:\n%s", code, want, stdout)
	}

	bad := t.TempDir()
	writeFiles(t, bad, map[string]string{"vpcs.yaml": strings.Replace(openVPCCRD(t), "x-kubernetes-preserve-unknown-fields: true",
		"x-kubernetes-validations:\n            - rule: self.size() > 0", 1)})
	for _, tc := range []struct{ dir, want string }{
		{bad, `unsupported schema keyword "x-kubernetes-validations"`},
		{filepath.Join(bad, "missing"), "no such file"},
		{t.TempDir(), "no CustomResourceDefinition found"},
	} {
		code, _, stderr = runPlanCLI(t, nil, "plan", "--dir", fgdDir, "--fabric-name", "f", "--crd-dir", tc.dir)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "--crd-dir") {
			t.Errorf("--crd-dir %s: exit %d, stderr %q; want a usage error with %q", tc.dir, code, stderr, tc.want)
		}
	}
}

// openVPCCRD is testdata/open-vpc-crd.yaml: a VPC CRD whose spec keeps any
// field, as a newer release might ship it.
func openVPCCRD(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testkit.ModuleRoot(t), "testdata", "open-vpc-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
