package netboxsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// schemaPath is NetBox 4.2.2's own OpenAPI schema, copied into testdata/
// (source in testdata/README.md).
const schemaPath = "../../testdata/netbox-openapi/openapi.yaml"

func openAPIRouter(t *testing.T) routers.Router {
	t.Helper()
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatalf("NetBox's OpenAPI schema is needed for this test: %v", err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: "http://netbox.test"}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestContractCoreResponses checks the emulator's answers on NetBox's core
// endpoints against NetBox 4.2.2's schema.
func TestContractCoreResponses(t *testing.T) {
	t.Parallel()
	router := openAPIRouter(t)
	s := start(t, Options{Version: "4.2.2"})
	if err := s.SetupStatusFields(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddWebhook("http://127.0.0.1:1/webhooks/netbox", "sec"); err != nil {
		t.Fatal(err)
	}
	type call struct {
		method, path string
		body         any
	}
	calls := []call{
		{"GET", "/api/status/", nil},
		{"POST", "/api/extras/custom-links/", map[string]any{"name": "commit", "object_types": []string{FabricObjectType}, "link_text": "Commit", "link_url": "{{ object.cf.gitops_commit_url }}", "button_class": "blue", "new_window": true}},
		{"PATCH", "/api/extras/custom-fields/1/", map[string]any{"label": "Status"}},
		{"PATCH", "/api/extras/webhooks/1/", map[string]any{"description": "x"}},
		{"PATCH", "/api/extras/event-rules/1/", map[string]any{"enabled": true}},
		{"PATCH", "/api/extras/custom-field-choice-sets/1/", map[string]any{"description": "x"}},
	}
	// The journal, as the service writes and reads it (internal/netbox/journal.go).
	f, err := s.CreateFabricDirect(Fabric{Name: "f1"})
	if err != nil {
		t.Fatal(err)
	}
	calls = append(calls,
		call{"POST", "/api/extras/journal-entries/", map[string]any{"assigned_object_type": FabricObjectType, "assigned_object_id": f.ID, "kind": "success", "comments": "**hnp-gitops** · status **initialized**"}},
		call{"POST", "/api/extras/journal-entries/", map[string]any{"assigned_object_type": FabricObjectType, "assigned_object_id": f.ID, "comments": "a user's note"}},
		call{"GET", fmt.Sprintf("/api/extras/journal-entries/?assigned_object_type=%s&assigned_object_id=%d&ordering=-created&limit=20", FabricObjectType, f.ID), nil},
	)
	for _, p := range []string{"custom-fields", "custom-field-choice-sets", "webhooks", "event-rules", "custom-links", "journal-entries"} {
		calls = append(calls, call{"GET", "/api/extras/" + p + "/?limit=2", nil}, call{"GET", "/api/extras/" + p + "/1/", nil})
	}
	for _, c := range calls {
		r := api(t, s, c.method, c.path, c.body)
		if r.code >= 300 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.code, r.body)
		}
		var body []byte
		if c.body != nil {
			body = mustJSON(t, c.body)
		}
		req, _ := http.NewRequest(c.method, "http://netbox.test"+c.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if strings.Contains(c.path, "journal-entries") {
			// The service's own requests: their bodies and filters too.
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("request %s %s: %s", c.method, c.path, strings.Join(strings.Fields(err.Error()), " "))
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 r.code,
			Header:                 r.header,
			Body:                   io.NopCloser(bytes.NewReader(r.body)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		})
		if err != nil && !knownSchemaGap(err) {
			t.Errorf("%s %s: %s", c.method, c.path, strings.Join(strings.Fields(err.Error()), " "))
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// knownSchemaGap accepts the one place where NetBox 4.2.2 answers outside
// its own schema: base_choices is null when unset (NetBox's ChoiceField
// renders "" as None), but the schema does not mark it nullable. Any other
// finding in the same answer still fails.
func knownSchemaGap(err error) bool {
	var re *openapi3filter.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	var me openapi3.MultiError
	if !errors.As(re.Err, &me) {
		me = openapi3.MultiError{re.Err}
	}
	for _, e := range me {
		var se *openapi3.SchemaError
		if !errors.As(e, &se) || se.SchemaField != "nullable" || !strings.HasSuffix(strings.Join(se.JSONPointer(), "/"), "base_choices") {
			return false
		}
	}
	return true
}
