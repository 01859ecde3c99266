package netboxsim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/netbox"
	"github.com/githedgehog/hnp-gitops/internal/netboxsetup"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestHelpersAgreeWithNetBoxSetup checks that SetupStatusFields and
// AddWebhook define what `hnp-gitops netbox setup` would, so a test may use
// either (or both) and setup reports them unchanged.
func TestHelpersAgreeWithNetBoxSetup(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"4.0", "4.2", "4.7"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := startVersion(t, version)
			if err := s.SetupStatusFields(); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.AddWebhook("http://svc:8080"+netboxsetup.WebhookPath, "sec"); err != nil {
				t.Fatal(err)
			}
			c, err := netbox.New(netbox.Options{BaseURL: s.URL(), Token: "tok", RetryMax: -1, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := netboxsetup.Run(context.Background(), c, netboxsetup.Options{ServiceURL: "http://svc:8080", WebhookSecret: "sec"})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range rep.Items {
				if it.Kind != "custom link" && it.Action != netboxsetup.Unchanged {
					t.Errorf("%s %s: %s, want unchanged\n%s", it.Kind, it.Name, it.Action, strings.TrimSpace(rep.String()))
				}
			}
		})
	}
}

// startVersion starts an emulator of a NetBox version, closed with the test.
func startVersion(t *testing.T, version string) *netboxsim.Server {
	t.Helper()
	s, err := netboxsim.Start(netboxsim.Options{Token: "tok", Version: version})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
