package netbox

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
)

// TestProbeDoesNotRetry: a readiness probe sends one request; Status,
// through the same failing NetBox, retries.
func TestProbeDoesNotRetry(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/api/status/", func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		writeJSON(w, http.StatusBadGateway, `{"detail": "upstream down"}`)
	})
	c, _ := setup(t, "tok", mux)
	if err := c.Probe(context.Background()); err == nil {
		t.Fatal("Probe: want an error from a 502")
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("Probe sent %d requests, want 1", n)
	}
	calls.Store(0)
	if _, err := c.Status(context.Background()); err == nil {
		t.Fatal("Status: want an error from a 502")
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("Status sent %d requests, want 3 (RetryMax 2)", n)
	}
}
