package netboxsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// checkPythonSeparators fails unless every "," and ":" outside string
// literals is followed by one space, as Python's json.dumps writes them.
func checkPythonSeparators(t *testing.T, body []byte) {
	t.Helper()
	inStr := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case !inStr && (c == ',' || c == ':'):
			if i+1 >= len(body) || body[i+1] != ' ' || (i+2 < len(body) && body[i+2] == ' ') {
				t.Fatalf("separator %q at %d not followed by exactly one space: ...%s...", c, i, body[max(0, i-20):min(len(body), i+20)])
			}
		case !inStr && c > 0x7e:
			t.Fatalf("non-ASCII byte outside a string at %d", i)
		case inStr && c > 0x7e:
			t.Fatalf("non-ASCII byte in a string at %d: Python escapes it", i)
		}
	}
}

func parseJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("webhook body is not JSON: %v\n%s", err, b)
	}
	return m
}

func TestWebhookBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version  string
		wantKeys []string
	}{
		{"4.0", []string{"event", "timestamp", "model", "username", "request_id", "data", "snapshots"}},
		{"4.2", []string{"event", "timestamp", "model", "username", "request_id", "data", "snapshots"}},
		{"4.4", []string{"event", "timestamp", "object_type", "model", "username", "request_id", "data", "snapshots"}},
		{"4.5", []string{"event", "timestamp", "object_type", "username", "request_id", "data", "snapshots"}},
		{"4.6", []string{"event", "timestamp", "object_type", "username", "request_id", "request", "data", "snapshots"}},
		{"4.7", []string{"event", "timestamp", "object_type", "request", "data", "snapshots"}},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			recv := newReceiver(t, 200)
			s := start(t, Options{Version: tc.version, NestedForeignKeys: true})
			if err := s.SetupStatusFields(); err != nil {
				t.Fatal(err)
			}
			const secret = "s3cret"
			// The repository first: the rule covers repositories too, and
			// this test is about fabric bodies.
			if _, err := s.CreateRepository(Repository{Name: "r", URL: "https://github.com/o/r.git"}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.AddWebhook(recv.url, secret, "object_created", "object_updated", "object_deleted"); err != nil {
				t.Fatal(err)
			}
			// Through real HTTP, so the request ids can be compared.
			created := api(t, s, "POST", "/api/plugins/hedgehog/fabrics/", map[string]any{
				"name": "zürich", "description": "Zürich ✓ 𝄞 \"q\"", "git_repository": 1,
				"custom_fields": map[string]any{"gitops_directory_status": "not_initialized"},
			})
			if created.code != 201 {
				t.Fatalf("create: %d %s", created.code, created.body)
			}
			noop := api(t, s, "PATCH", "/api/plugins/hedgehog/fabrics/1/", map[string]any{})
			status := api(t, s, "PATCH", "/api/plugins/hedgehog/fabrics/1/", map[string]any{"custom_fields": map[string]any{"gitops_directory_status": "initialized"}})
			deleted := api(t, s, "DELETE", "/api/plugins/hedgehog/fabrics/1/", nil)
			if noop.code != 200 || status.code != 200 || deleted.code != 204 {
				t.Fatalf("codes %d %d %d", noop.code, status.code, deleted.code)
			}
			ds := waitDeliveries(t, s, 4)
			reqs := recv.requests()
			if len(ds) != 4 || len(reqs) != 4 {
				t.Fatalf("deliveries %d, received %d, want 4", len(ds), len(reqs))
			}
			wantEvents := []string{"created", "updated", "updated", "deleted"}
			wantIDs := []string{created.header.Get("X-Request-ID"), noop.header.Get("X-Request-ID"), status.header.Get("X-Request-ID"), deleted.header.Get("X-Request-ID")}
			for i, r := range reqs {
				if got, want := r.header.Get("X-Hook-Signature"), Sign(secret, r.body); got != want || len(got) != 128 {
					t.Errorf("%d: signature %q, want %q", i, got, want)
				}
				if ct := r.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("%d: Content-Type %q", i, ct)
				}
				checkPythonSeparators(t, r.body)
				m := parseJSON(t, r.body)
				keys := slices.Sorted(maps.Keys(m))
				if diff := cmp.Diff(slices.Sorted(slices.Values(tc.wantKeys)), keys); diff != "" {
					t.Errorf("%d: keys (-want +got):\n%s", i, diff)
				}
				// The key order of the default template.
				pos := -1
				for _, k := range tc.wantKeys {
					p := bytes.Index(r.body, []byte(`"`+k+`": `))
					if p < pos {
						t.Errorf("%d: key %q out of order", i, k)
					}
					pos = p
				}
				if m["event"] != wantEvents[i] {
					t.Errorf("%d: event %v, want %s", i, m["event"], wantEvents[i])
				}
				if ts, _ := m["timestamp"].(string); !strings.HasSuffix(ts, "+00:00") {
					t.Errorf("%d: timestamp %q", i, ts)
				}
				if rid, ok := m["request_id"]; ok && rid != wantIDs[i] {
					t.Errorf("%d: request_id %v, want the X-Request-ID %s", i, rid, wantIDs[i])
				}
				if rq, ok := m["request"].(map[string]any); ok {
					wantRq := map[string]any{"id": wantIDs[i], "method": []string{"POST", "PATCH", "PATCH", "DELETE"}[i], "path": []string{"/api/plugins/hedgehog/fabrics/", "/api/plugins/hedgehog/fabrics/1/", "/api/plugins/hedgehog/fabrics/1/", "/api/plugins/hedgehog/fabrics/1/"}[i], "user": "admin"}
					if diff := cmp.Diff(wantRq, rq); diff != "" {
						t.Errorf("%d: request (-want +got):\n%s", i, diff)
					}
				}
				if ds[i].RequestID != wantIDs[i] || !ds[i].OK() {
					t.Errorf("%d: delivery %+v", i, ds[i])
				}
				if ot, ok := m["object_type"]; ok && ot != FabricObjectType {
					t.Errorf("%d: object_type %v", i, ot)
				}
				if mo, ok := m["model"]; ok && mo != "hedgehogfabric" {
					t.Errorf("%d: model %v", i, mo)
				}
				data := m["data"].(map[string]any)
				if data["url"] != "/api/plugins/hedgehog/fabrics/1/" || data["description"] != "Zürich ✓ 𝄞 \"q\"" {
					t.Errorf("%d: data %v", i, data)
				}
				snaps := m["snapshots"].(map[string]any)
				pre, post := snaps["prechange"], snaps["postchange"]
				if (pre == nil) != (i == 0) || (post == nil) != (i == 3) {
					t.Errorf("%d: prechange %v postchange %v", i, pre, post)
				}
				if post != nil && post.(map[string]any)["git_repository"] != json.Number("1") {
					t.Errorf("%d: snapshot git_repository %v, want the raw id", i, post.(map[string]any)["git_repository"])
				}
			}
			if !bytes.Contains(reqs[0].body, []byte(`Z\u00fcrich \u2713 \ud834\udd1e \"q\"`)) {
				t.Errorf("non-ASCII not escaped like Python: %s", reqs[0].body)
			}
			post := parseJSON(t, reqs[2].body)["snapshots"].(map[string]any)["postchange"].(map[string]any)
			if got := post["custom_fields"].(map[string]any)["gitops_directory_status"]; got != "initialized" {
				t.Errorf("snapshot custom field = %v, want the stored plain value", got)
			}
			data := parseJSON(t, reqs[2].body)["data"].(map[string]any)
			if got := data["custom_fields"].(map[string]any)["gitops_directory_status"]; !cmp.Equal(got, map[string]any{"value": "initialized", "label": "Initialized"}) {
				t.Errorf("data custom field = %v, want the REST form", got)
			}
		})
	}
}

func TestWebhookRulesAndDirectChanges(t *testing.T) {
	t.Parallel()
	recvA := newReceiver(t, 204)
	recvB := newReceiver(t, 200)
	s := start(t, Options{})
	if err := s.SetupStatusFields(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddWebhook(recvA.url, ""); err != nil {
		t.Fatal(err)
	}
	// A second rule, only for fabrics whose status is initialized.
	wb := api(t, s, "POST", "/api/extras/webhooks/", map[string]any{"name": "b", "payload_url": recvB.url, "secret": "b"})
	rb := api(t, s, "POST", "/api/extras/event-rules/", map[string]any{
		"name": "b", "object_types": []string{FabricObjectType}, "event_types": []string{"object_updated"},
		"action_type": "webhook", "action_object_type": "extras.webhook", "action_object_id": wb.json(t)["id"],
		"conditions": map[string]any{"and": []any{map[string]any{"attr": "custom_fields.gitops_directory_status.value", "value": "initialized"}}},
	})
	if wb.code != 201 || rb.code != 201 {
		t.Fatalf("webhook %d %s, rule %d %s", wb.code, wb.body, rb.code, rb.body)
	}
	// A disabled rule and a rule for another object type never fire.
	api(t, s, "POST", "/api/extras/event-rules/", map[string]any{
		"name": "off", "object_types": []string{FabricObjectType}, "event_types": []string{"object_updated"}, "enabled": false,
		"action_type": "webhook", "action_object_type": "extras.webhook", "action_object_id": wb.json(t)["id"],
	})
	api(t, s, "POST", "/api/extras/event-rules/", map[string]any{
		"name": "repos", "object_types": []string{RepositoryObjectType}, "event_types": []string{"object_updated"},
		"action_type": "webhook", "action_object_type": "extras.webhook", "action_object_id": wb.json(t)["id"],
	})
	f, err := s.CreateFabric(Fabric{Name: "f"}) // A: created
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetFabricDirect(f.ID, func(f *Fabric) { f.CustomFields["gitops_directory_status"] = "error" }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFabricDirect(Fabric{Name: "g"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateFabric(f.ID, map[string]any{"custom_fields": map[string]any{"gitops_directory_status": "initialized"}}); err != nil { // A and B
		t.Fatal(err)
	}
	if _, err := s.UpdateFabric(f.ID, map[string]any{"custom_fields": map[string]any{"gitops_directory_status": "error"}}); err != nil { // A only
		t.Fatal(err)
	}
	ds := waitDeliveries(t, s, 4)
	time.Sleep(50 * time.Millisecond) // room for a wrong extra delivery
	ds = s.Deliveries()
	var got []string
	for _, d := range ds {
		got = append(got, fmt.Sprintf("%s %s", strings.TrimPrefix(d.URL, "http://"), d.Event))
	}
	want := []string{
		strings.TrimPrefix(recvA.url, "http://") + " created",
		strings.TrimPrefix(recvA.url, "http://") + " updated",
		strings.TrimPrefix(recvB.url, "http://") + " updated",
		strings.TrimPrefix(recvA.url, "http://") + " updated",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	for _, r := range recvA.requests() {
		if _, ok := r.header["X-Hook-Signature"]; ok {
			t.Error("a webhook without secret sent X-Hook-Signature")
		}
	}
}

func TestNoRetry(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t, 503)
	s := start(t, Options{})
	// The second event is the barrier: one worker delivers in order, so
	// a retry of the first would come before it.
	createAndUpdate(t, s, recv.url)
	waitDeliveries(t, s, 2)
	time.Sleep(50 * time.Millisecond)
	if n := len(recv.requests()); n != 2 {
		t.Fatalf("receiver got %d requests, want 2 (no retries)", n)
	}
	st := s.Stats()
	if st.DeliveriesFailed != 2 || st.DeliveriesOK != 0 || st.DeliveriesPending != 0 {
		t.Errorf("stats %+v", st)
	}
	if d := s.Deliveries()[0]; d.StatusCode != 503 || d.OK() {
		t.Errorf("delivery %+v", d)
	}
}

func TestNoWorkers(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t, 200)
	s := start(t, Options{RQWorkers: -1})
	if _, _, err := s.AddWebhook(recv.url, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFabric(Fabric{Name: "f"}); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.DeliveriesPending != 1 || len(s.Deliveries()) != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestEventRuleForms(t *testing.T) {
	t.Parallel()
	base := map[string]any{"object_types": []string{FabricObjectType}, "action_type": "webhook", "action_object_type": "extras.webhook", "action_object_id": 1}
	with := func(name string, extra map[string]any) map[string]any {
		m := maps.Clone(base)
		m["name"] = name
		maps.Copy(m, extra)
		return m
	}
	tests := []struct {
		name     string
		version  string
		body     map[string]any
		wantCode int
		wantBody string
	}{
		{"4.2 event_types", "4.2", with("a", map[string]any{"event_types": []string{"object_created", "object_updated"}}), 201, ""},
		{"4.2 refuses booleans", "4.2", with("b", map[string]any{"event_types": []string{"object_created"}, "type_create": true}), 400, `{"type_create":["NetBox 4.2.0 replaced type_create with event_types."]}`},
		{"4.2 bad event type", "4.2", with("c", map[string]any{"event_types": []string{"created"}}), 400, `{"event_types":["\"created\" is not a valid choice."]}`},
		{"4.0 booleans", "4.0", with("d", map[string]any{"type_create": true, "type_update": true}), 201, ""},
		{"4.0 refuses event_types", "4.0", with("e", map[string]any{"event_types": []string{"object_created"}}), 400, ""},
		{"4.0 needs one type", "4.0", with("f", nil), 400, `{"__all__":["At least one event type must be selected: create, update, delete, job start, and/or job end."]}`},
		{"unknown webhook", "4.2", with("g", map[string]any{"event_types": []string{"object_created"}, "action_object_id": 99}), 400, `{"action_object_id":["Webhook 99 not found."]}`},
		{"bad condition", "4.2", with("h", map[string]any{"event_types": []string{"object_created"}, "conditions": map[string]any{"attr": "x", "value": 1, "op": "like"}}), 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, Options{Version: tc.version})
			if r := api(t, s, "POST", "/api/extras/webhooks/", map[string]any{"name": "w", "payload_url": "http://127.0.0.1:1/x"}); r.code != 201 {
				t.Fatalf("webhook: %d %s", r.code, r.body)
			}
			r := api(t, s, "POST", "/api/extras/event-rules/", tc.body)
			if r.code != tc.wantCode || (tc.wantBody != "" && string(r.body) != tc.wantBody) {
				t.Fatalf("%d %s, want %d %s", r.code, r.body, tc.wantCode, tc.wantBody)
			}
			if r.code != 201 {
				return
			}
			m := r.json(t)
			_, hasTypes := m["event_types"]
			_, hasBools := m["type_create"]
			if hasTypes == (tc.version == "4.0") || hasBools != (tc.version == "4.0") {
				t.Errorf("rule read back in the wrong form: %s", r.body)
			}
		})
	}
}

func TestCustomFieldDefinitions(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	if err := s.SetupStatusFields(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetupStatusFields(); err != nil { // idempotent
		t.Fatal(err)
	}
	list := api(t, s, "GET", "/api/extras/custom-fields/?name=gitops_directory_status", nil).json(t)
	if list["count"] != json.Number("1") {
		t.Fatalf("list = %v", list)
	}
	cf := list["results"].([]any)[0].(map[string]any)
	if !cmp.Equal(cf["type"], map[string]any{"value": "select", "label": "Selection"}) || !cmp.Equal(cf["object_types"], []any{FabricObjectType}) {
		t.Errorf("custom field = %v", cf)
	}
	id := cf["id"].(json.Number)
	tests := []struct {
		name     string
		method   string
		path     string
		body     any
		wantCode int
		wantBody string
	}{
		{"type is immutable", "PATCH", "/api/extras/custom-fields/" + id.String() + "/", map[string]any{"type": "text"}, 400, `{"type":["Cannot change the type of an existing custom field."]}`},
		{"label can change", "PATCH", "/api/extras/custom-fields/" + id.String() + "/", map[string]any{"label": "Status"}, 200, ""},
		{"content_types is pre-4.0", "POST", "/api/extras/custom-fields/", map[string]any{"name": "a", "type": "text", "content_types": []string{FabricObjectType}}, 400, `{"content_types":["This field was renamed to object_types in NetBox 4.0."],"object_types":["This field is required."]}`},
		{"select needs a choice set", "POST", "/api/extras/custom-fields/", map[string]any{"name": "b", "type": "select", "object_types": []string{FabricObjectType}}, 400, `{"choice_set":["Selection fields must specify a set of choices."]}`},
		{"bad name", "POST", "/api/extras/custom-fields/", map[string]any{"name": "B-x", "type": "text", "object_types": []string{FabricObjectType}}, 400, `{"name":["Only alphanumeric characters and underscores are allowed."]}`},
		{"duplicate name", "POST", "/api/extras/custom-fields/", map[string]any{"name": "gitops_commit_url", "type": "url", "object_types": []string{FabricObjectType}}, 400, `{"name":["custom field with this name already exists."]}`},
		{"choice set pairs", "POST", "/api/extras/custom-field-choice-sets/", map[string]any{"name": "x", "extra_choices": []any{"a"}}, 400, `{"extra_choices":["Each choice must be a [value, label] pair of strings."]}`},
		{"custom link", "POST", "/api/extras/custom-links/", map[string]any{"name": "commit", "object_types": []string{FabricObjectType}, "link_text": "Commit", "link_url": "{{ object.cf.gitops_commit_url }}", "button_class": "blue", "new_window": true}, 201, ""},
		{"custom link list", "GET", "/api/extras/custom-links/?name=commit", nil, 200, ""},
	}
	for _, tc := range tests {
		r := api(t, s, tc.method, tc.path, tc.body)
		if r.code != tc.wantCode || (tc.wantBody != "" && string(r.body) != tc.wantBody) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.code, r.body, tc.wantCode, tc.wantBody)
		}
	}
	// Deleting a custom field removes it from the fabrics' data.
	f, err := s.CreateFabric(Fabric{Name: "f", CustomFields: map[string]any{"gitops_commit_url": "https://x/y"}})
	if err != nil {
		t.Fatal(err)
	}
	url := api(t, s, "GET", "/api/extras/custom-fields/?name=gitops_commit_url", nil).json(t)["results"].([]any)[0].(map[string]any)["id"].(json.Number)
	if r := api(t, s, "DELETE", "/api/extras/custom-fields/"+url.String()+"/", nil); r.code != 204 {
		t.Fatalf("delete: %d", r.code)
	}
	got, _ := s.Fabric(f.ID)
	if _, ok := got.CustomFields["gitops_commit_url"]; ok {
		t.Errorf("stale custom field data kept: %v", got.CustomFields)
	}
}
