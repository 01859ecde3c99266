package netboxsim

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentWrites hammers the API from several clients with faults
// on, and checks that every applied write caused exactly one delivery and
// that the counters add up.
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t, 202)
	s := start(t, Options{RQWorkers: 4, Faults: Faults{Seed: 3, Routes: map[Route]RouteFault{RouteFabricWrite: {ErrorRate: 0.2}}}})
	if err := s.SetupStatusFields(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddWebhook(recv.url, "k"); err != nil {
		t.Fatal(err)
	}
	const clients, perClient = 8, 40
	for i := range clients {
		if _, err := s.CreateFabric(Fabric{Name: fmt.Sprintf("f%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				st := []string{"initializing", "initialized"}[i%2]
				r := api(t, s, "PATCH", fmt.Sprintf("/api/plugins/hedgehog/fabrics/%d/", c+1), map[string]any{"custom_fields": map[string]any{"gitops_directory_status": st}})
				if r.code == 200 {
					mu.Lock()
					applied++
					mu.Unlock()
				} else if r.code != 500 {
					t.Errorf("PATCH: %d %s", r.code, r.body)
				}
				if g := api(t, s, "GET", fmt.Sprintf("/api/plugins/hedgehog/fabrics/%d/", c+1), nil); g.code != 200 {
					t.Errorf("GET: %d", g.code)
				}
			}
		}()
	}
	wg.Wait()
	ds := waitDeliveries(t, s, clients+applied)
	st := s.Stats()
	if len(ds) != clients+applied || st.DeliveriesOK != clients+applied || st.DeliveriesPending != 0 {
		t.Errorf("deliveries %d, stats %+v, want %d", len(ds), st, clients+applied)
	}
	patches := 0
	for _, n := range st.Patches {
		patches += n
	}
	if patches != applied || st.Requests["PATCH /api/plugins/hedgehog/fabrics/{id}/"] != clients*perClient ||
		st.Faults["fabric-write error"] != clients*perClient-applied {
		t.Errorf("applied %d, stats %+v", applied, st)
	}
	if applied == 0 || applied == clients*perClient {
		t.Errorf("applied %d of %d at an error rate of 0.2", applied, clients*perClient)
	}
}
