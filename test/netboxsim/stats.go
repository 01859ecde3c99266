package netboxsim

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"time"
)

// Stats counts what the emulator saw. Requests made by the Go helpers are
// not counted.
type Stats struct {
	// Requests by "METHOD /route", the route being the path pattern, e.g.
	// "PATCH /api/plugins/hedgehog/fabrics/{id}/".
	Requests map[string]int `json:"requests"`
	// Responses by status code (injected faults included).
	Responses map[int]int `json:"responses"`
	// Webhook jobs: answered 2xx, failed (non-2xx or transport error),
	// dropped by a fault, and still queued or in flight.
	DeliveriesOK      int `json:"deliveries_ok"`
	DeliveriesFailed  int `json:"deliveries_failed"`
	DeliveriesDropped int `json:"deliveries_dropped"`
	DeliveriesPending int `json:"deliveries_pending"`
	// Patches counts the PATCH and PUT requests applied to each fabric.
	Patches map[int64]int `json:"patches"`
	// Faults counts injected faults by "route kind" (e.g. "fabric-get
	// error", "webhook drop", "down").
	Faults map[string]int `json:"faults"`
}

// PatchEntry is one custom-field write to a fabric through the API.
type PatchEntry struct {
	Time         time.Time      `json:"time"`
	RequestID    string         `json:"request_id"`
	Method       string         `json:"method"`
	Helper       bool           `json:"helper,omitempty"` // made by a Go helper, not a client
	CustomFields map[string]any `json:"custom_fields"`    // as sent
	Changed      []string       `json:"changed"`          // fields whose stored value changed
}

type statsCounters struct {
	mu        sync.Mutex
	requests  map[string]int
	responses map[int]int
	faults    map[string]int
}

func (c *statsCounters) init() {
	c.requests = map[string]int{}
	c.responses = map[int]int{}
	c.faults = map[string]int{}
}

func (s *Server) countRequest(route string) {
	s.stats.mu.Lock()
	s.stats.requests[route]++
	s.stats.mu.Unlock()
}

func (s *Server) countStatus(code int) {
	s.stats.mu.Lock()
	s.stats.responses[code]++
	s.stats.mu.Unlock()
}

func (s *Server) countFault(name string) {
	s.stats.mu.Lock()
	s.stats.faults[name]++
	s.stats.mu.Unlock()
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	st := Stats{
		Requests:  maps.Clone(s.stats.requests),
		Responses: maps.Clone(s.stats.responses),
		Faults:    maps.Clone(s.stats.faults),
	}
	s.stats.mu.Unlock()
	maps.Copy(st.Faults, s.faults.counts())
	s.mu.Lock()
	st.Patches = maps.Clone(s.data.patches)
	s.mu.Unlock()
	for _, d := range s.Deliveries() {
		switch {
		case d.Dropped:
			st.DeliveriesDropped++
		case d.OK():
			st.DeliveriesOK++
		default:
			st.DeliveriesFailed++
		}
	}
	st.DeliveriesPending = s.q.pending()
	return st
}

// PatchLog returns the custom-field writes made to a fabric through the
// API, oldest first.
func (s *Server) PatchLog(fabricID int64) []PatchEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.data.patchLog[fabricID])
	for i := range out {
		out[i].CustomFields = cloneAny(out[i].CustomFields)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// cloneAny deep-copies decoded JSON.
func cloneAny(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return maps.Clone(m)
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	_ = dec.Decode(&out)
	return out
}
