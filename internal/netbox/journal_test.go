package netbox

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// The journal on the emulator, which is held to NetBox's OpenAPI schema
// (test/netboxsim/contract_test.go): entries are written on the fabric,
// read back newest first with their kind, only the fabric's own.
func TestJournalOnTheEmulator(t *testing.T) {
	t.Parallel()
	sim, c := startSim(t, netboxsim.Options{HNPQuirks: true})
	ctx := context.Background()
	s := Fabrics{Client: c}
	var ids []int64
	for _, name := range []string{"f1", "f2"} {
		f, err := sim.CreateFabricDirect(netboxsim.Fabric{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	writes := []fabric.JournalEntry{
		{Kind: fabric.JournalSuccess, Comments: "**hnp-gitops** · status **initialized**"},
		{Kind: fabric.JournalDanger, Comments: "**hnp-gitops** · status **error**\n\nboom"},
		{Kind: fabric.JournalInfo, Comments: "third"},
	}
	for _, e := range writes {
		if err := s.AddJournalEntry(ctx, ids[0], e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddJournalEntry(ctx, ids[1], fabric.JournalEntry{Kind: fabric.JournalWarning, Comments: "other fabric"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.JournalEntries(ctx, ids[0], 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]fabric.JournalEntry{writes[2], writes[1]}, got); diff != "" {
		t.Errorf("newest two entries (-want +got):\n%s", diff)
	}
	stored := sim.Journal(netboxsim.FabricObjectType, ids[0])
	if len(stored) != 3 || stored[0].Kind != "info" || stored[2].Comments != writes[0].Comments {
		t.Errorf("stored journal = %+v", stored)
	}
	// A fabric that is gone: NetBox's 400, a rejected request.
	err = s.AddJournalEntry(ctx, 999, writes[0])
	if !errors.Is(err, fabric.ErrRejected) {
		t.Errorf("entry on a missing fabric: %v, want ErrRejected", err)
	}
	if none, err := s.JournalEntries(ctx, 999, 20); err != nil || len(none) != 0 {
		t.Errorf("journal of a missing fabric = %v, %v; want empty", none, err)
	}
}
