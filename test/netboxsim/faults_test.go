package netboxsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFaultErrorCounts(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Faults: Faults{Routes: map[Route]RouteFault{RouteFabricGet: {Errors: 2}}}})
	if _, err := s.CreateFabric(Fabric{Name: "f"}); err != nil { // helpers are never faulted
		t.Fatal(err)
	}
	var codes []int
	for range 3 {
		r := api(t, s, "GET", "/api/plugins/hedgehog/fabrics/1/", nil)
		codes = append(codes, r.code)
		if r.code == 500 {
			m := r.json(t)
			if m["netbox_version"] != "4.2.0" || m["error"] == "" || m["exception"] == "" || m["python_version"] == "" {
				t.Errorf("500 body = %s", r.body)
			}
			if !uuidRe.MatchString(r.header.Get("X-Request-ID")) {
				t.Error("an injected 500 has no X-Request-ID")
			}
		}
	}
	if diff := cmp.Diff([]int{500, 500, 200}, codes); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	if r := api(t, s, "GET", "/api/plugins/hedgehog/fabrics/", nil); r.code != 200 {
		t.Errorf("the list was faulted: %d", r.code)
	}
	if got := s.Stats().Faults["fabric-get error"]; got != 2 {
		t.Errorf("faults counted %d, want 2", got)
	}
	if got := s.Faults().Routes[RouteFabricGet].Errors; got != 0 {
		t.Errorf("remaining errors = %d, want 0", got)
	}
}

func TestFaultProxyStatus(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	s.SetFaults(Faults{Routes: map[Route]RouteFault{RouteFabricWrite: {Errors: 1, ErrorStatus: 502}}})
	if _, err := s.CreateFabric(Fabric{Name: "f"}); err != nil {
		t.Fatal(err)
	}
	r := api(t, s, "PATCH", "/api/plugins/hedgehog/fabrics/1/", map[string]any{"description": "x"})
	if r.code != 502 || r.header.Get("Content-Type") != "text/html" {
		t.Fatalf("%d %s", r.code, r.header.Get("Content-Type"))
	}
	if f, _ := s.Fabric(1); f.Description != "" {
		t.Error("a faulted write was applied")
	}
}

func TestFaultAfterApply(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t, 200)
	s := start(t, Options{Faults: Faults{HangMax: 50 * time.Millisecond, Routes: map[Route]RouteFault{
		RouteFabricWrite: {Errors: 1, ErrorStatus: 502, Timeouts: 1, AfterApply: true},
	}}})
	f := setupFabric(t, s)
	if _, _, err := s.AddWebhook(recv.url, "k"); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/plugins/hedgehog/fabrics/%d/", f.ID)
	first := api(t, s, "PATCH", path, map[string]any{"custom_fields": map[string]any{"gitops_directory_status": "initializing"}})
	second := api(t, s, "PATCH", path, map[string]any{"custom_fields": map[string]any{"gitops_directory_status": "initialized"}})
	if first.code != 502 || second.code != 504 {
		t.Fatalf("codes %d %d, want 502 and 504", first.code, second.code)
	}
	got, _ := s.Fabric(f.ID)
	if got.CustomFields["gitops_directory_status"] != "initialized" || len(s.PatchLog(f.ID)) != 2 {
		t.Errorf("the writes were not applied: %v", got.CustomFields)
	}
	ds := waitDeliveries(t, s, 2)
	if ds[0].RequestID != first.header.Get("X-Request-ID") || ds[1].RequestID != second.header.Get("X-Request-ID") {
		t.Errorf("deliveries %+v", ds)
	}
}

func TestFaultRatesAreSeeded(t *testing.T) {
	t.Parallel()
	run := func(seed int64) []int {
		s := start(t, Options{Faults: Faults{Seed: seed, Routes: map[Route]RouteFault{RouteFabricList: {ErrorRate: 0.5}}}})
		var codes []int
		for range 40 {
			codes = append(codes, api(t, s, "GET", "/api/plugins/hedgehog/fabrics/", nil).code)
		}
		return codes
	}
	a, b := run(7), run(7)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different faults (-first +second):\n%s", diff)
	}
	n500 := 0
	for _, c := range a {
		if c == 500 {
			n500++
		}
	}
	if n500 < 5 || n500 > 35 {
		t.Errorf("%d of 40 requests failed at rate 0.5", n500)
	}
}

func TestFaultHang(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Faults: Faults{HangMax: 100 * time.Millisecond, Routes: map[Route]RouteFault{RouteStatus: {Timeouts: 1}}}})
	t0 := time.Now()
	r := api(t, s, "GET", "/api/status/", nil)
	if r.code != 504 || time.Since(t0) < 100*time.Millisecond {
		t.Errorf("hang: %d after %v, want 504 after HangMax", r.code, time.Since(t0))
	}
	// A client that gives up ends the hang.
	s.SetFaults(Faults{HangMax: time.Hour, Routes: map[Route]RouteFault{RouteStatus: {TimeoutRate: 1}}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/api/status/", nil)
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the client's deadline", err)
	}
}

func TestFaultLatency(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Faults: Faults{Routes: map[Route]RouteFault{RouteStatus: {Latency: 80 * time.Millisecond}}}})
	t0 := time.Now()
	if r := api(t, s, "GET", "/api/status/", nil); r.code != 200 {
		t.Fatal(r.code)
	}
	if d := time.Since(t0); d < 80*time.Millisecond {
		t.Errorf("answered after %v, want at least the 80ms latency", d)
	}
}

func TestFaultDown(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	s.SetDown(true)
	req, _ := http.NewRequest("GET", s.URL()+"/api/status/", nil)
	client := &http.Client{Timeout: 5 * time.Second}
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("down server answered %d", resp.StatusCode)
	}
	// The admin API still works, and brings it back.
	resp, err := client.Post(s.URL()+"/_sim/up", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := api(t, s, "GET", "/api/status/", nil); r.code != 200 {
		t.Errorf("after up: %d", r.code)
	}
	if s.Stats().Faults["down"] != 1 {
		t.Errorf("faults = %v", s.Stats().Faults)
	}
}

func TestFaultDroppedWebhooks(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t, 200)
	s := start(t, Options{Faults: Faults{DropWebhooks: 1}})
	createAndUpdate(t, s, recv.url)
	ds := waitDeliveries(t, s, 2)
	if !ds[0].Dropped || ds[1].Dropped || !ds[1].OK() {
		t.Errorf("deliveries %+v", ds)
	}
	reqs := recv.requests()
	if len(reqs) != 1 || parseJSON(t, reqs[0].body)["event"] != "updated" {
		t.Errorf("receiver got %d requests, want only the update", len(reqs))
	}
	if st := s.Stats(); st.DeliveriesDropped != 1 || st.DeliveriesOK != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestOnDelivery(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t, 200)
	got := make(chan Delivery, 2)
	s := start(t, Options{Faults: Faults{DropWebhooks: 1}, OnDelivery: func(d Delivery) { got <- d }})
	createAndUpdate(t, s, recv.url)
	for i, want := range []string{"created dropped", "updated 200"} {
		select {
		case d := <-got:
			if g := fmt.Sprintf("%s %v", d.Event, map[bool]any{true: "dropped", false: d.StatusCode}[d.Dropped]); g != want {
				t.Errorf("%d: %s, want %s", i, g, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d: no callback", i)
		}
	}
}

func TestFaultDeliveryLatency(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t, 200)
	s := start(t, Options{Faults: Faults{DeliveryLatency: 100 * time.Millisecond}})
	if _, _, err := s.AddWebhook(recv.url, "k"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := s.CreateFabric(Fabric{Name: "f"}); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.requests()); n != 0 {
		t.Fatalf("delivered at once (%d)", n)
	}
	waitDeliveries(t, s, 1)
	if d := time.Since(t0); d < 100*time.Millisecond || len(recv.requests()) != 1 {
		t.Errorf("delivered after %v, want at least 100ms", d)
	}
}

func TestFaultsJSON(t *testing.T) {
	t.Parallel()
	in := `{"seed":3,"latency":"5ms","hang_max":"2s","routes":{"fabric-write":{"errors":2,"error_rate":0.1,"latency":"1ms","after_apply":true}},"drop_webhook_rate":0.25,"delivery_latency":"1s"}`
	var f Faults
	if err := json.Unmarshal([]byte(in), &f); err != nil {
		t.Fatal(err)
	}
	want := Faults{Seed: 3, Latency: 5 * time.Millisecond, HangMax: 2 * time.Second, DropWebhookRate: 0.25, DeliveryLatency: time.Second,
		Routes: map[Route]RouteFault{RouteFabricWrite: {Errors: 2, ErrorRate: 0.1, Latency: time.Millisecond, AfterApply: true}}}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back Faults
	if err := json.Unmarshal(b, &back); err != nil || !cmp.Equal(f, back) {
		t.Errorf("round trip: %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"routes":{"nope":{}}}`), &f); err == nil {
		t.Error("an unknown route was accepted")
	}
}

func TestCloseEndsHangs(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{Token: testToken, Faults: Faults{HangMax: time.Hour, Routes: map[Route]RouteFault{RouteAll: {TimeoutRate: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(s.URL() + "/api/status/")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	t0 := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(t0); d > shutdownGrace+time.Second {
		t.Errorf("Close took %v", d)
	}
	<-done
}

func TestPatchLog(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	f := setupFabric(t, s)
	path := "/api/plugins/hedgehog/fabrics/1/"
	a := api(t, s, "PATCH", path, map[string]any{"custom_fields": map[string]any{"gitops_directory_status": "initializing"}})
	b := api(t, s, "PATCH", path, map[string]any{"description": "not a custom-field write"})
	c := api(t, s, "PATCH", path, map[string]any{"custom_fields": map[string]any{"gitops_directory_status": "initializing", "directory_init_error": ""}})
	bad := api(t, s, "PATCH", path, map[string]any{"custom_fields": map[string]any{"nope": 1}})
	if a.code != 200 || b.code != 200 || c.code != 200 || bad.code != 400 {
		t.Fatalf("codes %d %d %d %d", a.code, b.code, c.code, bad.code)
	}
	log := s.PatchLog(f.ID)
	if len(log) != 2 {
		t.Fatalf("log has %d entries, want 2: %+v", len(log), log)
	}
	type entry struct {
		RequestID string
		Status    any
		Changed   []string
	}
	var got []entry
	for _, e := range log {
		got = append(got, entry{e.RequestID, e.CustomFields["gitops_directory_status"], e.Changed})
	}
	want := []entry{
		{a.header.Get("X-Request-ID"), "initializing", []string{"gitops_directory_status"}},
		{c.header.Get("X-Request-ID"), "initializing", []string{"directory_init_error"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	st := s.Stats()
	if st.Patches[f.ID] != 3 || st.Requests["PATCH /api/plugins/hedgehog/fabrics/{id}/"] != 4 ||
		st.Requests["POST /api/plugins/hedgehog/fabrics/"] != 0 || st.Responses[200] != 3 || st.Responses[400] != 1 {
		t.Errorf("stats %+v", st)
	}
}
