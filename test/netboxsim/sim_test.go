package netboxsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

func simDo(t *testing.T, s *Server, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestSimAdminAPI(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t, 200)
	s := start(t, Options{})
	if code, b := simDo(t, s, "POST", "/_sim/setup", `{"webhook_url": "`+recv.url+`", "secret": "k"}`); code != 200 {
		t.Fatalf("setup: %d %s", code, b)
	}
	// A direct create and change fire nothing; an API write fires.
	if code, b := simDo(t, s, "POST", "/_sim/fabrics", `{"name": "f"}`); code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	if code, b := simDo(t, s, "PATCH", "/_sim/fabrics/1", `{"description": "d", "custom_fields": {"gitops_directory_status": "error"}}`); code != 200 {
		t.Fatalf("patch: %d %s", code, b)
	}
	f, _ := s.Fabric(1)
	if f.Description != "d" || f.CustomFields["gitops_directory_status"] != "error" || f.GitOpsDirectory != "/" {
		t.Errorf("fabric after direct patch: %+v", f)
	}
	if r := api(t, s, "PATCH", "/api/plugins/hedgehog/fabrics/1/", map[string]any{"custom_fields": map[string]any{"gitops_directory_status": "initialized"}}); r.code != 200 {
		t.Fatalf("api patch: %d %s", r.code, r.body)
	}
	waitDeliveries(t, s, 1)
	time.Sleep(30 * time.Millisecond)
	code, b := simDo(t, s, "GET", "/_sim/deliveries", "")
	var ds []map[string]any
	if err := json.Unmarshal(b, &ds); code != 200 || err != nil || len(ds) != 1 || ds[0]["event"] != "updated" {
		t.Fatalf("deliveries: %d %s", code, b)
	}
	if body, _ := ds[0]["body"].(string); !json.Valid([]byte(body)) {
		t.Errorf("delivery body as text: %q", body)
	}
	code, b = simDo(t, s, "GET", "/_sim/patchlog/1", "")
	var log []PatchEntry
	if err := json.Unmarshal(b, &log); code != 200 || err != nil || len(log) != 1 {
		t.Fatalf("patchlog: %d %s", code, b)
	}
	if code, b := simDo(t, s, "PUT", "/_sim/faults", `{"routes": {"fabric-get": {"errors": 1}}, "latency": "1ms"}`); code != 200 {
		t.Fatalf("faults: %d %s", code, b)
	}
	if got := s.Faults(); got.Latency != time.Millisecond || got.Routes[RouteFabricGet].Errors != 1 {
		t.Errorf("faults = %+v", got)
	}
	if code, _ := simDo(t, s, "PUT", "/_sim/faults", `{"routes": {"nope": {}}}`); code != 400 {
		t.Errorf("unknown route: %d", code)
	}
	if r := api(t, s, "GET", "/api/plugins/hedgehog/fabrics/1/", nil); r.code != 500 {
		t.Errorf("faulted GET: %d", r.code)
	}
	if code, _ := simDo(t, s, "POST", "/_sim/down", ""); code != 204 || !s.Faults().Down {
		t.Errorf("down: %d", code)
	}
	if code, _ := simDo(t, s, "GET", "/_sim/stats", ""); code != 200 {
		t.Errorf("stats while down: %d", code)
	}
	if code, _ := simDo(t, s, "POST", "/_sim/up", ""); code != 204 || s.Faults().Down {
		t.Errorf("up: %d", code)
	}
	if code, _ := simDo(t, s, "DELETE", "/_sim/fabrics/1", ""); code != 204 {
		t.Errorf("direct delete: %d", code)
	}
	if code, _ := simDo(t, s, "GET", "/_sim/fabrics/1", ""); code != 404 {
		t.Errorf("get after delete: %d", code)
	}
	if n := len(s.Deliveries()); n != 1 {
		t.Errorf("%d deliveries, want only the API write's", n)
	}
}
