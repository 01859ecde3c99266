package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// TestDemo runs `make demo`'s program and checks what it promises: its last
// two lines, and that the bare repository it names holds the laid-out FGD.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, "../../../examples/fgd/raw", true, testkit.Contract(t).Wrap); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("output too short:\n%s", out.String())
	}
	repo := regexp.MustCompile(`^repo: (/.+\.git)$`).FindStringSubmatch(lines[len(lines)-2])
	if repo == nil {
		t.Fatalf("second-to-last line %q is not `repo: <path>`", lines[len(lines)-2])
	}
	t.Cleanup(func() { os.RemoveAll(strings.TrimSuffix(repo[1], "/github/hedgehog/fabric-config.git")) })
	if _, err := os.Stat(repo[1]); err != nil {
		t.Fatalf("the named bare repository does not exist: %v", err)
	}
	m := regexp.MustCompile(`^github-requests: (\d+) \(writes (\d+), commits 1\)$`).FindStringSubmatch(lines[len(lines)-1])
	if m == nil {
		t.Fatalf("last line %q is not `github-requests: <n> (writes <w>, commits 1)`", lines[len(lines)-1])
	}
	for _, want := range []string{"NetBox -> webhook: created netbox_hedgehog.hedgehogfabric", "service: reconciled fabrics", "git clone " + repo[1],
		"commit is in the GitHub emulator (http://", "managed/kustomization.yaml", "managed/switches/", "raw/.gitkeep", ".hnp/manifest.yaml",
		"gitops_directory_status  initialized", "NetBox-Object: netbox_hedgehog.hedgehogfabric:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}
