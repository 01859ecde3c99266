package e2e

import (
	"path"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
)

// TestAcceptance is the user's case (contract §9): the three files under
// raw/, or flat in the FGD; the fabric is created in NetBox; the branch head
// must show the laid-out, ingested FGD in one commit and the fabric must
// show initialized with the commit and the time.
func TestAcceptance(t *testing.T) {
	t.Parallel()
	for _, variant := range []string{"raw", "flat"} {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			s := startStack(t, harness.Options{})
			seed := map[string][]byte{"README.md": []byte("# fabric config\n")}
			for name, b := range fixtures(t) {
				p := path.Join(fgdPath, name)
				if variant == "raw" {
					p = path.Join(fgdPath, "raw", name)
				}
				seed[p] = b
			}
			repoID, bare, err := s.env.NewRepo("fabric-config", seed)
			if err != nil {
				t.Fatal(err)
			}
			before := s.git(t, bare, "rev-list", "--count", "main")

			f := s.createFabric(t, "fabric-1", repoID, "/"+fgdPath+"/")
			got := s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)

			after := s.git(t, bare, "rev-list", "--count", "main")
			if before != "1" || after != "2" {
				t.Fatalf("commits on main: before %s, after %s; want 1 then 2 (exactly one new commit)", before, after)
			}
			clone := s.clone(t, bare)
			files, err := harness.Files(clone, fgdPath)
			if err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			var raw []string
			for _, p := range files {
				dir, _ := path.Split(p)
				if strings.HasPrefix(p, "managed/") && !strings.HasSuffix(p, ".gitkeep") && p != "managed/kustomization.yaml" {
					count[strings.TrimSuffix(strings.TrimPrefix(dir, "managed/"), "/")]++
				}
				if strings.HasPrefix(p, "raw/") {
					raw = append(raw, p)
				}
			}
			want := map[string]int{"connections": 26, "servers": 10, "switches": 7, "switchgroups": 3, "vpcs": 2}
			for k, n := range want {
				if count[k] != n {
					t.Errorf("managed/%s: %d files, want %d", k, count[k], n)
				}
			}
			if len(count) != len(want) {
				t.Errorf("managed folders with CRs: %v, want exactly %v", count, want)
			}
			if len(raw) != 1 || raw[0] != "raw/.gitkeep" {
				t.Errorf("raw/ holds %v, want only raw/.gitkeep", raw)
			}
			for _, p := range []string{"README.md", ".hnp/manifest.yaml", ".hnp/archive-log.yaml", "unmanaged/.gitkeep",
				"managed/kustomization.yaml", "managed/vpcs/.gitkeep", "managed/externals/.gitkeep",
				"managed/vlannamespaces/.gitkeep", "managed/ipv4namespaces/.gitkeep"} {
				if !contains(files, p) {
					t.Errorf("skeleton file %s missing at the head", p)
				}
			}
			if variant == "flat" {
				for name := range fixtures(t) {
					if contains(files, name) {
						t.Errorf("flat source %s still in the FGD root", name)
					}
				}
			}
			head := s.git(t, bare, "rev-parse", "main")
			if u := got.CustomFields[status.FieldCommitURL]; u != "https://github.com/"+harness.Owner+"/fabric-config/commit/"+head {
				t.Errorf("gitops_commit_url = %v, want the head commit %s", u, head)
			}
			if ts, _ := got.CustomFields[status.FieldLastSync].(string); !strings.HasSuffix(ts, "+00:00") {
				t.Errorf("last_directory_sync = %q, want a +00:00 datetime", ts)
			}
			if e, _ := got.CustomFields[status.FieldError].(string); e != "" {
				t.Errorf("directory_init_error = %q, want empty", e)
			}
			msg := s.git(t, bare, "log", "-1", "--format=%an <%ae>%n%B", "main")
			if !strings.Contains(msg, "NetBox-Object: netbox_hedgehog.hedgehogfabric:") || !strings.Contains(msg, "NetBox-Request-ID: ") ||
				!strings.HasPrefix(msg, "hnp-gitops <") {
				t.Errorf("commit message/author lacks the contract's trailer or author:\n%s", msg)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
