package netboxsetup

import (
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// writes counts the POST and PATCH requests the emulator saw.
func writes(s netboxsim.Stats) int {
	n := 0
	for k, v := range s.Requests {
		if strings.HasPrefix(k, "POST ") || strings.HasPrefix(k, "PATCH ") {
			n += v
		}
	}
	return n
}

// TestEmulatorEndToEnd runs setup twice against the NetBox emulator of
// several versions, checks the second run changes nothing, validates every
// core request against the schema (4.1+ only: the 4.0 event-rule booleans
// are not in the 4.2 schema), and proves the result works: creating a
// fabric delivers a webhook to the service URL, signed with the secret.
func TestEmulatorEndToEnd(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"4.0", "4.1", "4.2.2", "4.5", "4.7"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			var (
				mu     sync.Mutex
				bodies [][]byte
				sigs   []string
			)
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				if r.URL.Path == WebhookPath {
					bodies = append(bodies, b)
					sigs = append(sigs, r.Header.Get("X-Hook-Signature"))
				}
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			}))
			t.Cleanup(receiver.Close)

			sim, err := netboxsim.Start(netboxsim.Options{Version: version, Token: testToken})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sim.Close() })
			rec := &recorder{next: http.DefaultTransport}
			c := newClient(t, sim.URL(), rec)
			ctx := context.Background()
			opts := Options{ServiceURL: receiver.URL, WebhookSecret: testSecret}

			dry := opts
			dry.DryRun = true
			rep, err := Run(ctx, c, dry)
			if err != nil {
				t.Fatalf("dry run: %v\n%s", err, rep)
			}
			if n := writes(sim.Stats()); n != 0 || !rep.Changed() {
				t.Fatalf("dry run: %d writes, changed %v", n, rep.Changed())
			}

			rep, err = Run(ctx, c, opts)
			if err != nil {
				t.Fatalf("first run: %v\n%s", err, rep)
			}
			if diff := cmp.Diff(allActions(Created), actions(rep)); diff != "" {
				t.Errorf("first run (-want +got):\n%s\n%s", diff, rep)
			}
			first := writes(sim.Stats())

			rep, err = Run(ctx, c, opts)
			if err != nil {
				t.Fatalf("second run: %v\n%s", err, rep)
			}
			if diff := cmp.Diff(allActions(Unchanged), actions(rep)); diff != "" {
				t.Errorf("second run (-want +got):\n%s\n%s", diff, rep)
			}
			if n := writes(sim.Stats()); n != first {
				t.Errorf("second run wrote %d times", n-first)
			}

			if version != "4.0" {
				router := netboxRouter(t)
				for _, r := range rec.all() {
					if strings.HasPrefix(r.url.Path, "/api/plugins/") {
						continue // not in NetBox's schema
					}
					if err := validate(t, router, r); err != nil {
						t.Errorf("%s %s %s: %v", r.method, r.url.RequestURI(), r.body, shortErr(err))
					}
				}
			}

			// The configuration works: a new fabric reaches the service.
			if _, err := sim.CreateFabric(netboxsim.Fabric{Name: "fab-1"}); err != nil {
				t.Fatal(err)
			}
			ds, err := sim.WaitDeliveriesFor(10*time.Second, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 || !ds[0].OK() || ds[0].Event != "created" {
				t.Fatalf("deliveries %+v", ds)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(bodies) != 1 {
				t.Fatalf("receiver got %d webhooks on %s", len(bodies), WebhookPath)
			}
			mac := hmac.New(sha512.New, []byte(testSecret))
			mac.Write(bodies[0])
			if want := hex.EncodeToString(mac.Sum(nil)); sigs[0] != want {
				t.Errorf("signature %q, want %q", sigs[0], want)
			}
		})
	}
}
