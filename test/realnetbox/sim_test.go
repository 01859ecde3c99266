package realnetbox

import (
	"testing"

	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

const simToken = "0123456789abcdef0123456789abcdef0simtok"

// TestSharedSim runs the shared cases against the emulator, in its two HNP
// modes: as published (HNPBlankJSONFields, like stock HNP 705549aa) and
// with the blank=True patch.
func TestSharedSim(t *testing.T) {
	t.Parallel()
	for _, stock := range []bool{true, false} {
		name := "patched"
		if stock {
			name = "stock"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runShared(t, simTarget(t, stock))
		})
	}
}

// simTarget is a fresh emulator; stock: HNP as published
// (HNPBlankJSONFields).
func simTarget(t *testing.T, stock bool) target {
	name := "patched"
	if stock {
		name = "stock"
	}
	nb, err := netboxsim.Start(netboxsim.Options{Version: "4.3", Token: simToken, HNPBlankJSONFields: stock, HNPQuirks: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nb.Close() })
	return target{
		name: "netboxsim " + name, url: nb.URL(), adminToken: simToken, serviceToken: simToken, stockHNP: stock,
		createRepo: func(t *testing.T, name, gitURL string) int64 {
			r, err := nb.CreateRepository(netboxsim.Repository{Name: name, URL: gitURL, Provider: "github",
				AuthenticationType: "token", DefaultBranch: "main", ValidateSSL: true, HasCredentials: true})
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		},
		createForeignRepo: func(t *testing.T, name, gitURL string) int64 {
			r, err := nb.CreateRepository(netboxsim.Repository{Name: name, URL: gitURL, Provider: "github",
				AuthenticationType: "token", DefaultBranch: "main", CreatedBy: "someone-else"})
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		},
		createFabricDirect: func(t *testing.T, name string, repoID int64, dir string) int64 {
			f, err := nb.CreateFabricDirect(netboxsim.Fabric{Name: name, GitRepository: repoID, GitOpsDirectory: dir,
				Status: "planned", ArchiveStrategy: "rename_with_extension"})
			if err != nil {
				t.Fatal(err)
			}
			return f.ID
		},
		// The emulator has one token: revoking it is for good.
		revokeServiceToken: func(*testing.T) func() { nb.RevokeToken(); return nil },
	}
}
