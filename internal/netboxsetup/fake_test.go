package netboxsetup

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeNetBox serves the extras endpoints and /api/status/ the way NetBox
// does where it matters to setup: choice fields read back as {value,
// label}, choice_set as a nested object, names unique, a custom field's
// type fixed, event types checked per version, "next" links absolute.
type fakeNetBox struct {
	mu       sync.Mutex
	version  string
	workers  int
	pageSize int
	nextID   int64
	objects  map[string][]map[string]any // endpoint ("extras/webhooks") -> objects
	writes   []string                    // "POST extras/webhooks" ...
	srv      *httptest.Server
}

// choiceKeys are the fields NetBox serializes as {value, label}.
var choiceKeys = map[string]map[string]bool{
	"extras/custom-fields": {"type": true, "ui_visible": true, "ui_editable": true, "filter_logic": true},
	"extras/event-rules":   {"action_type": true},
}

func newFakeNetBox(t *testing.T, version string) *fakeNetBox {
	t.Helper()
	f := &fakeNetBox{version: version, workers: 1, pageSize: 2, objects: map[string][]map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeNetBox) writeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.writes)
}

// find returns a copy of the object of that name at endpoint.
func (f *fakeNetBox) find(endpoint, name string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.objects[endpoint] {
		if o["name"] == name {
			b, _ := json.Marshal(o)
			var c map[string]any
			json.Unmarshal(b, &c)
			return c
		}
	}
	return nil
}

// put stores an object directly, as an admin would have made it.
func (f *fakeNetBox) put(endpoint string, body map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	obj := map[string]any{"id": float64(f.nextID)}
	f.apply(endpoint, obj, body)
	f.objects[endpoint] = append(f.objects[endpoint], obj)
}

func answer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-ID", "00000000-0000-0000-0000-000000000001")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeNetBox) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Token ") {
		answer(w, 403, map[string]any{"detail": "Authentication credentials were not provided."})
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/")
	if path == "status/" && r.Method == http.MethodGet {
		answer(w, 200, map[string]any{"netbox-version": f.version, "plugins": map[string]any{"netbox_hedgehog": "0.9.0"}, "rq-workers-running": f.workers, "python-version": "3.12.3"})
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 || parts[0] != "extras" {
		answer(w, 404, map[string]any{"detail": "Not found."})
		return
	}
	endpoint := parts[0] + "/" + parts[1]
	switch {
	case len(parts) == 2 && r.Method == http.MethodGet:
		f.list(w, r, endpoint)
	case len(parts) == 2 && r.Method == http.MethodPost:
		f.create(w, r, endpoint)
	case len(parts) == 3 && r.Method == http.MethodPatch:
		f.patch(w, r, endpoint, parts[2])
	default:
		answer(w, 405, map[string]any{"detail": "Method not allowed."})
	}
}

func (f *fakeNetBox) list(w http.ResponseWriter, r *http.Request, endpoint string) {
	q := r.URL.Query()
	var match []map[string]any
	for _, o := range f.objects[endpoint] {
		if names, ok := q["name"]; ok && !contains(names, o["name"].(string)) {
			continue
		}
		match = append(match, o)
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit := f.pageSize // a small MAX_PAGE_SIZE, to exercise paging
	end := min(offset+limit, len(match))
	if offset > len(match) {
		offset = len(match)
	}
	var next any
	if end < len(match) {
		q.Set("offset", strconv.Itoa(end))
		next = f.srv.URL + r.URL.Path + "?" + q.Encode()
	}
	results := match[offset:end]
	if results == nil {
		results = []map[string]any{}
	}
	answer(w, 200, map[string]any{"count": len(match), "next": next, "previous": nil, "results": results})
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func (f *fakeNetBox) decode(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		answer(w, 400, map[string]any{"non_field_errors": []string{"Invalid data: " + err.Error()}})
		return nil, false
	}
	return body, true
}

func (f *fakeNetBox) create(w http.ResponseWriter, r *http.Request, endpoint string) {
	body, ok := f.decode(w, r)
	if !ok {
		return
	}
	name, _ := body["name"].(string)
	if name == "" {
		answer(w, 400, map[string]any{"name": []string{"This field is required."}})
		return
	}
	for _, o := range f.objects[endpoint] {
		if o["name"] == name {
			answer(w, 400, map[string]any{"name": []string{"An object with this name already exists."}})
			return
		}
	}
	if msg := f.check(endpoint, nil, body); msg != nil {
		answer(w, 400, msg)
		return
	}
	f.nextID++
	obj := map[string]any{"id": float64(f.nextID)}
	f.apply(endpoint, obj, body)
	f.objects[endpoint] = append(f.objects[endpoint], obj)
	f.writes = append(f.writes, "POST "+endpoint)
	answer(w, 201, obj)
}

func (f *fakeNetBox) patch(w http.ResponseWriter, r *http.Request, endpoint, idText string) {
	body, ok := f.decode(w, r)
	if !ok {
		return
	}
	for _, o := range f.objects[endpoint] {
		if fmt.Sprint(o["id"]) != idText {
			continue
		}
		if msg := f.check(endpoint, o, body); msg != nil {
			answer(w, 400, msg)
			return
		}
		f.apply(endpoint, o, body)
		f.writes = append(f.writes, "PATCH "+endpoint)
		answer(w, 200, o)
		return
	}
	answer(w, 404, map[string]any{"detail": "No object matches the given query."})
}

// check enforces the rules setup depends on: a custom field's type cannot
// change, a select needs an existing choice set, and an event rule needs an
// event (booleans on 4.0, event_types later).
func (f *fakeNetBox) check(endpoint string, old, body map[string]any) map[string]any {
	switch endpoint {
	case "extras/custom-fields":
		if old != nil {
			if t, ok := body["type"]; ok && t != old["type"].(map[string]any)["value"] {
				return map[string]any{"type": []string{"Cannot change the type of a custom field."}}
			}
		}
		if cs, ok := body["choice_set"].(map[string]any); ok {
			if f.lookupRef("extras/custom-field-choice-sets", cs) == nil {
				return map[string]any{"choice_set": []string{"Related object not found using the provided attributes: " + fmt.Sprint(cs)}}
			}
		}
	case "extras/event-rules":
		merged := map[string]any{}
		for k, v := range old {
			merged[k] = v
		}
		for k, v := range body {
			merged[k] = v
		}
		if strings.HasPrefix(f.version, "4.0") {
			if merged["type_create"] != true && merged["type_update"] != true && merged["type_delete"] != true {
				return map[string]any{"__all__": []string{"You must select at least one type of object change."}}
			}
		} else if l, _ := merged["event_types"].([]any); len(l) == 0 {
			return map[string]any{"event_types": []string{"This field is required."}}
		}
	}
	return nil
}

func (f *fakeNetBox) lookup(endpoint string, name any) map[string]any {
	for _, o := range f.objects[endpoint] {
		if o["name"] == name {
			return o
		}
	}
	return nil
}

// lookupRef finds a nested reference the way NetBox does: every attribute
// given must match.
func (f *fakeNetBox) lookupRef(endpoint string, ref map[string]any) map[string]any {
	for _, o := range f.objects[endpoint] {
		match := true
		for k, v := range ref {
			if o[k] != v {
				match = false
			}
		}
		if match {
			return o
		}
	}
	return nil
}

// apply writes body into obj in NetBox's read form.
func (f *fakeNetBox) apply(endpoint string, obj, body map[string]any) {
	for k, v := range body {
		switch {
		case choiceKeys[endpoint][k]:
			obj[k] = map[string]any{"value": v, "label": strings.ToUpper(fmt.Sprint(v)[:1]) + fmt.Sprint(v)[1:]}
		case k == "choice_set":
			cs := f.lookupRef("extras/custom-field-choice-sets", v.(map[string]any))
			obj[k] = map[string]any{"id": cs["id"], "url": "/api/extras/custom-field-choice-sets/" + fmt.Sprint(cs["id"]) + "/", "display": cs["name"], "name": cs["name"], "choices_count": 5}
		default:
			obj[k] = v
		}
	}
	obj["display"] = obj["name"]
	obj["url"] = f.srv.URL + "/api/" + endpoint + "/" + fmt.Sprint(obj["id"]) + "/"
}
