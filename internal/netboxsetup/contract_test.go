package netboxsetup

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/githedgehog/hnp-gitops/internal/netbox"
)

// The contract test checks every request that the client and setup send to
// NetBox core endpoints against NetBox 4.2.2's own OpenAPI schema
// (testdata/netbox-4.2.2-openapi.yaml.gz, a gzip of
// NetBox 4.2.2's /api/schema/, as testdata/netbox-openapi/; NETBOX_OPENAPI names another,
// plain YAML schema). Plugin endpoints are not in the schema and are
// skipped by path prefix. The 4.0 event-rule form (type_create/type_update
// booleans) is not in the 4.2 schema either (event_types is required
// there), so the contract covers the 4.1+ form; the 4.0 form is tested
// against the fake in TestRunTwice.

const schemaHost = "http://netbox.test"

var schema struct {
	once   sync.Once
	router routers.Router
	err    error
}

// netboxRouter loads the schema once per test binary (a 4 MB document).
func netboxRouter(t *testing.T) routers.Router {
	t.Helper()
	schema.once.Do(func() {
		var data []byte
		if path := os.Getenv("NETBOX_OPENAPI"); path != "" {
			data, schema.err = os.ReadFile(path)
		} else {
			data, schema.err = gunzipFile("testdata/netbox-4.2.2-openapi.yaml.gz")
		}
		if schema.err != nil {
			return
		}
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = false
		var doc *openapi3.T
		if doc, schema.err = loader.LoadFromData(data); schema.err != nil {
			return
		}
		doc.Servers = openapi3.Servers{{URL: schemaHost}}
		schema.router, schema.err = gorillamux.NewRouter(doc)
	})
	if schema.err != nil {
		t.Fatalf("NetBox OpenAPI schema: %v", schema.err)
	}
	return schema.router
}

func gunzipFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// recorder is a RoundTripper that keeps a copy of every request.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method string
	url    *url.URL
	header http.Header
	body   []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	u := *req.URL
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{method: req.Method, url: &u, header: req.Header.Clone(), body: body})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// validate checks one recorded request against the schema.
func validate(t *testing.T, router routers.Router, rec recorded) error {
	t.Helper()
	u := *rec.url
	base, _ := url.Parse(schemaHost)
	u.Scheme, u.Host = base.Scheme, base.Host
	req, err := http.NewRequest(rec.method, u.String(), bytes.NewReader(rec.body))
	if err != nil {
		return err
	}
	req.Header = rec.header.Clone()
	route, params, err := router.FindRoute(req)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
}

func TestContractCoreRequests(t *testing.T) {
	t.Parallel()
	router := netboxRouter(t)
	nb := newFakeNetBox(t, "4.2.2")
	rec := &recorder{next: http.DefaultTransport}
	c := newClient(t, nb.srv.URL, rec)
	ctx := context.Background()

	// Create everything, change everything, then run again: POST, PATCH and
	// GET on every extras endpoint.
	if _, err := Run(ctx, c, testOptions()); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct{ endpoint, name string }{
		{"extras/custom-field-choice-sets", DefaultChoiceSetName},
		{"extras/custom-fields", "gitops_directory_status"},
		{"extras/custom-fields", "gitops_commit_url"},
		{"extras/webhooks", DefaultWebhookName},
		{"extras/event-rules", DefaultEventRuleName},
	} {
		nb.mu.Lock()
		nb.lookup(e.endpoint, e.name)["description"] = "changed by hand"
		nb.mu.Unlock()
	}
	nb.mu.Lock()
	nb.lookup("extras/event-rules", DefaultEventRuleName)["object_types"] = []any{"dcim.device"}
	nb.lookup("extras/custom-fields", "gitops_directory_status")["choice_set"] = nil
	nb.lookup("extras/custom-links", DefaultCustomLinkName)["new_window"] = false
	nb.mu.Unlock()
	opts := testOptions()
	opts.ServiceURL = "https://hnp-gitops.example.com"
	rep, err := Run(ctx, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rep.Items) - countAction(rep, Unchanged); got != 6 {
		t.Fatalf("second run updated %d objects, want 6:\n%s", got, rep)
	}
	// The client's plugin calls, to show they are recognised and skipped.
	_, _ = c.UpdateFabricCustomFields(ctx, 1, map[string]any{"gitops_directory_status": "initialized"})

	seen := map[string]bool{}
	var skipped int
	for _, r := range rec.all() {
		switch {
		case strings.HasPrefix(r.url.Path, "/api/plugins/"):
			skipped++ // not in NetBox's schema
			continue
		case !strings.HasPrefix(r.url.Path, "/api/"):
			t.Errorf("%s %s: not an API request", r.method, r.url.Path)
			continue
		}
		seen[r.method+" "+routeOf(r)] = true
		if err := validate(t, router, r); err != nil {
			t.Errorf("%s %s %s: %v", r.method, r.url.RequestURI(), r.body, shortErr(err))
		}
	}
	if skipped != 1 {
		t.Errorf("%d plugin requests skipped, want 1", skipped)
	}
	var want []string
	want = append(want, "GET /api/status/")
	for _, e := range []string{"custom-field-choice-sets", "custom-fields", "webhooks", "event-rules", "custom-links"} {
		want = append(want, "GET /api/extras/"+e+"/", "POST /api/extras/"+e+"/", "PATCH /api/extras/"+e+"/{id}/")
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("no %s request was validated", w)
		}
	}
}

// TestContractCatchesBadRequests makes sure the validator is not a no-op:
// requests NetBox would reject fail it.
func TestContractCatchesBadRequests(t *testing.T) {
	t.Parallel()
	router := netboxRouter(t)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name   string
		method string
		path   string
		body   string
	}{
		{name: "unknown custom field type", method: "POST", path: "/api/extras/custom-fields/", body: `{"name": "x", "object_types": ["dcim.device"], "type": "string"}`},
		{name: "4.0 event rule booleans", method: "POST", path: "/api/extras/event-rules/", body: `{"name": "r", "object_types": ["dcim.device"], "type_create": true, "action_type": "webhook", "action_object_type": "extras.webhook", "action_object_id": 1}`},
		{name: "choice set by id", method: "PATCH", path: "/api/extras/custom-fields/3/", body: `{"choice_set": 4}`},
		{name: "unknown endpoint", method: "GET", path: "/api/extras/hooks/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, _ := url.Parse(schemaHost + tt.path)
			err := validate(t, router, recorded{method: tt.method, url: u, header: jsonHeader, body: []byte(tt.body)})
			if err == nil {
				t.Errorf("%s %s %s validated", tt.method, tt.path, tt.body)
			}
		})
	}
}

func countAction(r *Report, a Action) int {
	n := 0
	for _, it := range r.Items {
		if it.Action == a {
			n++
		}
	}
	return n
}

// routeOf names a recorded request by its route template.
func routeOf(r recorded) string {
	req := &http.Request{Method: r.method, URL: r.url}
	s := strings.TrimPrefix(netbox.Route(req), r.method+" ")
	return s
}

func shortErr(err error) string {
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		return re.Error()
	}
	return err.Error()
}
