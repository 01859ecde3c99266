package netboxsim_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestBodiesParseWithNetBoxHook delivers one webhook per version and reads
// it with the service's parser and signature check.
func TestBodiesParseWithNetBoxHook(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"4.0", "4.3", "4.4", "4.5", "4.6", "4.7"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s, err := netboxsim.Start(netboxsim.Options{Token: "tok", Version: version, NestedForeignKeys: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.SetupStatusFields(); err != nil {
				t.Fatal(err)
			}
			// Nothing listens on port 1: the delivery fails, but the body
			// and headers are recorded.
			// The repository before the rule, which covers repositories
			// too: this test is about fabric bodies.
			r, err := s.CreateRepository(netboxsim.Repository{Name: "r", URL: "git@github.com:o/r.git"})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.AddWebhook("http://127.0.0.1:1/webhooks/netbox", "sec"); err != nil {
				t.Fatal(err)
			}
			f, err := s.CreateFabric(netboxsim.Fabric{Name: "f", Description: "café 😀", GitRepository: r.ID})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.UpdateFabric(f.ID, map[string]any{"custom_fields": map[string]any{"gitops_directory_status": "initialized"}}); err != nil {
				t.Fatal(err)
			}
			ds := waitN(t, s, 2)
			for i, d := range ds {
				if err := netboxhook.Verify([]byte("sec"), d.Body, d.Headers.Get("X-Hook-Signature")); err != nil {
					t.Errorf("%d: signature: %v", i, err)
				}
				ev, err := netboxhook.Parse(d.Body)
				if err != nil {
					t.Fatalf("%d: parse: %v\n%s", i, err, d.Body)
				}
				if ev.Event != d.Event || ev.RequestID != d.RequestID || ev.ObjectID != f.ID || ev.Model != "hedgehogfabric" || ev.Username != "admin" {
					t.Errorf("%d: parsed %+v, delivery %+v", i, ev, d)
				}
				if (ev.Prechange == nil) != (i == 0) || ev.Postchange == nil {
					t.Errorf("%d: snapshots %v / %v", i, ev.Prechange, ev.Postchange)
				}
				if ev.Data["description"] != "café 😀" || !bytes.Contains(d.Body, []byte(`caf\u00e9 \ud83d\ude00`)) {
					t.Errorf("%d: description %v", i, ev.Data["description"])
				}
			}
		})
	}
}

func waitN(t *testing.T, s *netboxsim.Server, n int) []netboxsim.Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ds, err := s.WaitDeliveries(ctx, n)
	if err != nil {
		t.Fatalf("%d deliveries: %v", len(ds), err)
	}
	return ds
}
