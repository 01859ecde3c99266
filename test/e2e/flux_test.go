package e2e

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
)

// TestFluxBuild builds the head's managed/ the way Flux's
// kustomize-controller builds a Kustomization's path (fluxcd/pkg/kustomize
// Build: krusty with no load restrictions and plugins disabled) and checks
// that exactly the fixture's 48 Hedgehog CRs come out, each once, and
// nothing from raw/ or unmanaged/.
func TestFluxBuild(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	seed := rawSeed(t, fgdPath)
	// A CR a person keeps in unmanaged/ on purpose must stay out of the
	// build.
	seed[fgdPath+"/unmanaged/keep-out.yaml"] = []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: unmanaged-vpc\n  namespace: default\nspec: {}\n")
	repoID, bare, err := s.env.NewRepo("fabric-config", seed)
	if err != nil {
		t.Fatal(err)
	}
	f := s.createFabric(t, "fabric-1", repoID, "/"+fgdPath+"/")
	s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)

	clone := s.clone(t, bare)
	k := krusty.MakeKustomizer(&krusty.Options{
		LoadRestrictions: kustypes.LoadRestrictionsNone,
		PluginConfig:     kustypes.DisabledPluginConfig(),
	})
	rm, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(clone, filepath.FromSlash(fgdPath), "managed"))
	if err != nil {
		t.Fatalf("kustomize build of managed/: %v", err)
	}

	byKind := map[string]int{}
	seen := map[string]int{}
	for _, r := range rm.Resources() {
		kind, name := r.GetKind(), r.GetName()
		byKind[kind]++
		seen[kind+"/"+name]++
		if name == "unmanaged-vpc" {
			t.Errorf("%s/%s from unmanaged/ is in the build", kind, name)
		}
		if !strings.HasSuffix(r.GetApiVersion(), ".githedgehog.com/v1beta1") {
			t.Errorf("%s/%s: apiVersion %s is not a Hedgehog CR", kind, name, r.GetApiVersion())
		}
	}
	want := map[string]int{"Connection": 26, "Server": 10, "Switch": 7, "SwitchGroup": 3, "VPC": 2}
	total := 0
	for k, n := range want {
		total += n
		if byKind[k] != n {
			t.Errorf("kind %s: %d CRs, want %d", k, byKind[k], n)
		}
	}
	if len(byKind) != len(want) {
		t.Errorf("kinds built: %v, want exactly %v", byKind, want)
	}
	if rm.Size() != total || total != 48 {
		t.Errorf("built %d resources, want %d (48)", rm.Size(), total)
	}
	var dups []string
	for id, n := range seen {
		if n != 1 {
			dups = append(dups, id)
		}
	}
	sort.Strings(dups)
	if len(dups) > 0 {
		t.Errorf("resources built more than once: %v", dups)
	}

	// The kustomization lists managed files only: nothing outside managed/.
	kb := s.git(t, clone, "show", "HEAD:"+fgdPath+"/managed/kustomization.yaml")
	for _, bad := range []string{"raw/", "unmanaged/", "../"} {
		if strings.Contains(kb, bad) {
			t.Errorf("managed/kustomization.yaml refers to %q:\n%s", bad, kb)
		}
	}
}
