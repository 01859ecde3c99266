package netboxhook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realDir holds deliveries NetBox 4.3.7's RQ worker sent for HNP 705549aa
// fabrics, recorded by `make test-real` (testdata/README.md): each
// <name>.body with its <name>.json headers, signed with the real suite's
// fake secret.
const realDir = "../../testdata/real-netbox/webhooks"

const realSuiteSecret = "whsec-realsuite-fake-secret"

// TestRealDeliveries parses and verifies the bytes a real NetBox sent.
func TestRealDeliveries(t *testing.T) {
	t.Parallel()
	bodies, err := filepath.Glob(filepath.Join(realDir, "*.body"))
	if err != nil || len(bodies) == 0 {
		t.Fatalf("no recorded deliveries in %s (%v)", realDir, err)
	}
	events := map[string]int{}
	for _, p := range bodies {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var hdr struct {
			Headers map[string][]string `json:"headers"`
		}
		hb, err := os.ReadFile(strings.TrimSuffix(p, ".body") + ".json")
		if err == nil {
			err = json.Unmarshal(hb, &hdr)
		}
		if err != nil {
			t.Fatalf("%s headers: %v", p, err)
		}
		name := filepath.Base(p)
		sig := hdr.Headers["X-Hook-Signature"]
		if len(sig) != 1 || Verify([]byte(realSuiteSecret), body, sig[0]) != nil {
			t.Errorf("%s: the recorded X-Hook-Signature does not verify", name)
		}
		if ct := hdr.Headers["Content-Type"]; len(ct) != 1 || ct[0] != "application/json" {
			t.Errorf("%s: Content-Type %v", name, ct)
		}
		ev, err := Parse(body)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		events[ev.Event]++
		// NetBox 4.3: the 4.0 form (model, username, request_id), no
		// object_type, snapshots present.
		if ev.Model != "hedgehogfabric" || ev.ObjectType != "" || ev.ObjectID == 0 || ev.RequestID == "" || ev.Username == "" {
			t.Errorf("%s: parsed %+v; want a hedgehogfabric event with id, request id and user", name, ev)
		}
		if ev.Postchange == nil || (ev.Event == "created") != (ev.Prechange == nil) {
			t.Errorf("%s: %s with prechange %v, postchange %v", name, ev.Event, ev.Prechange != nil, ev.Postchange != nil)
		}
		// HNP puts select values as plain strings (hypothesis 7).
		if _, plain := ev.Data["status"].(string); !plain {
			t.Errorf("%s: data.status = %#v, want HNP's plain string", name, ev.Data["status"])
		}
	}
	if events["created"] == 0 || events["updated"] == 0 {
		t.Errorf("recorded events %v, want created and updated", events)
	}
}
