package testkit

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Delivery is one webhook a HookRecorder received.
type Delivery struct {
	Header http.Header
	Body   []byte
}

// HookRecorder is a webhook receiver on loopback that records every
// delivery and answers 202, as a git host's webhook target would.
type HookRecorder struct {
	URL string

	mu         sync.Mutex
	deliveries []Delivery
}

// RecordHooks starts a HookRecorder, closed when the test ends.
func RecordHooks(t testing.TB) *HookRecorder {
	t.Helper()
	rc := &HookRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.deliveries = append(rc.deliveries, Delivery{Header: r.Header.Clone(), Body: b})
		rc.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

// Deliveries are the deliveries received so far, in order.
func (rc *HookRecorder) Deliveries() []Delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Delivery(nil), rc.deliveries...)
}
