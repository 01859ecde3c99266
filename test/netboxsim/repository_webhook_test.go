package netboxsim_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestRepositoryWebhooks: creating and updating a git repository through
// the API fires the rule AddWebhook defines (as `netbox setup` does), with
// bodies pkg/netboxhook reads as the plugin's gitrepository model.
func TestRepositoryWebhooks(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"4.0", "4.2", "4.6", "4.7"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := startVersion(t, version)
			// Nothing listens on port 1: the bodies are recorded anyway.
			if _, _, err := s.AddWebhook("http://127.0.0.1:1/webhooks/netbox", "sec"); err != nil {
				t.Fatal(err)
			}
			r, err := s.CreateRepository(netboxsim.Repository{Name: "r", URL: "https://github.com/o/r.git"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.UpdateRepository(r.ID, map[string]any{"push_branch": "gitops"})
			if err != nil {
				t.Fatal(err)
			}
			if got.PushBranch != "gitops" {
				t.Errorf("push_branch %q after the update", got.PushBranch)
			}
			ds := waitN(t, s, 2)
			var events []string
			for _, d := range ds {
				if d.ObjectType != netboxsim.RepositoryObjectType || d.ObjectID != r.ID {
					t.Errorf("delivery for %s %d, want the repository %d", d.ObjectType, d.ObjectID, r.ID)
				}
				if err := netboxhook.Verify([]byte("sec"), d.Body, d.Headers.Get(netboxhook.SignatureHeader)); err != nil {
					t.Errorf("signature: %v", err)
				}
				ev, err := netboxhook.Parse(d.Body)
				if err != nil {
					t.Fatalf("parse: %v\n%s", err, d.Body)
				}
				if !ev.Is("netbox_hedgehog", "gitrepository") || ev.ObjectID != r.ID {
					t.Errorf("event %s %s/%s %d, want gitrepository %d", ev.Event, ev.ObjectType, ev.Model, ev.ObjectID, r.ID)
				}
				events = append(events, ev.Event)
			}
			if diff := cmp.Diff([]string{"created", "updated"}, events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
