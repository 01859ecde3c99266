package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestNetBoxVersions runs the webhook path against every NetBox version the
// emulator speaks (their webhook bodies and event rules differ) and the
// serializer variants: a create is initialized from its webhook, the
// service's own writes come back and are recognised, and a user's
// not_initialized gets a fresh run.
func TestNetBoxVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    harness.Options
	}{
		{name: "4.0", o: harness.Options{NetBoxVersion: "4.0"}},
		{name: "4.1", o: harness.Options{NetBoxVersion: "4.1"}},
		{name: "4.3", o: harness.Options{NetBoxVersion: "4.3"}},
		{name: "4.4", o: harness.Options{NetBoxVersion: "4.4"}},
		{name: "4.5", o: harness.Options{NetBoxVersion: "4.5"}},
		{name: "4.6", o: harness.Options{NetBoxVersion: "4.6"}},
		{name: "4.7", o: harness.Options{NetBoxVersion: "4.7"}},
		{name: "4.2 nested foreign keys", o: harness.Options{NetBox: netboxsim.Options{NestedForeignKeys: true}}},
		{name: "4.2 plain select values", o: harness.Options{NetBox: netboxsim.Options{PlainSelectValues: true}}},
		{name: "4.7 nested and plain", o: harness.Options{NetBoxVersion: "4.7", NetBox: netboxsim.Options{NestedForeignKeys: true, PlainSelectValues: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStack(t, tt.o)
			f, bare, _ := s.initFabric(t)
			// The repository's create (ignored), the fabric's and the
			// two echoes.
			if _, err := s.env.NetBox.WaitDeliveries(waitCtx(t, 10*time.Second), 4); err != nil {
				t.Fatal(err)
			}
			if n := metric(t, s.svc, `hnp_gitops_webhook_deliveries_total{result="accepted"}`); n != 1 {
				t.Errorf("webhooks accepted: %v, want 1 (the create)", n)
			}
			if n := metric(t, s.svc, `hnp_gitops_webhook_deliveries_total{result="self"}`); n != 2 {
				t.Errorf("webhooks recognised as own writes: %v, want 2", n)
			}

			if _, err := s.env.NetBox.UpdateFabric(f.ID, map[string]any{
				"custom_fields": map[string]any{status.FieldStatus: string(status.NotInitialized)},
			}); err != nil {
				t.Fatal(err)
			}
			eventually(t, 15*time.Second, "no fresh run after not_initialized", func() bool {
				return len(statusSequence(serviceWrites(s.env.NetBox, f.ID))) >= 4
			})
			s.waitStatus(t, f.ID, status.Initialized, 15*time.Second)
			if _, err := s.env.NetBox.WaitDeliveries(waitCtx(t, 10*time.Second), 6); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			if seq := statusSequence(serviceWrites(s.env.NetBox, f.ID)); !slices.Equal(seq, []string{"initializing", "initialized", "initializing", "initialized"}) {
				t.Errorf("status writes %v, want two runs", seq)
			}
			if n := s.commits(t, bare); n != 2 {
				t.Errorf("commits on main: %d, want 2", n)
			}
			for _, d := range s.env.NetBox.Deliveries() {
				if !d.OK() {
					t.Errorf("delivery %s of %d answered %d %s", d.Event, d.ObjectID, d.StatusCode, d.Err)
				}
			}
		})
	}
}
