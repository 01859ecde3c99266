package netboxsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuthAndConventions(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	fabrics := "/api/plugins/hedgehog/fabrics/"
	tests := []struct {
		name     string
		method   string
		path     string
		auth     string
		wantCode int
		wantBody string // compact JSON, "" to skip
	}{
		{"no token", "GET", fabrics, "", 403, `{"detail":"Authentication credentials were not provided."}`},
		{"wrong token", "GET", fabrics, "Token nope", 403, `{"detail":"Invalid token"}`},
		{"wrong bearer", "GET", fabrics, "Bearer nope", 403, `{"detail":"Invalid token"}`},
		{"token", "GET", fabrics, "Token " + testToken, 200, `{"count":0,"next":null,"previous":null,"results":[]}`},
		{"bearer", "GET", fabrics, "Bearer " + testToken, 200, ""},
		{"status without auth", "GET", "/api/status/", "", 200, ""},
		{"status with wrong token", "GET", "/api/status/", "Token nope", 403, `{"detail":"Invalid token"}`},
		{"unknown object", "GET", fabrics + "42/", "Token " + testToken, 404, `{"detail":"Not found."}`},
		{"unknown path", "GET", "/api/dcim/nothing/", "Token " + testToken, 404, `{"detail":"Not found."}`},
		{"no trailing slash", "GET", "/api/plugins/hedgehog/fabrics", "Token " + testToken, 301, ""},
		{"patch unknown", "PATCH", fabrics + "7/", "Token " + testToken, 404, `{"detail":"Not found."}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, tc.method, tc.path, tc.auth, nil)
			if r.code != tc.wantCode {
				t.Fatalf("code = %d, want %d (%s)", r.code, tc.wantCode, r.body)
			}
			if tc.wantBody != "" && string(r.body) != tc.wantBody {
				t.Errorf("body = %s, want %s", r.body, tc.wantBody)
			}
			if id := r.header.Get("X-Request-ID"); !uuidRe.MatchString(id) {
				t.Errorf("X-Request-ID = %q, want a UUID", id)
			}
			if tc.wantCode == 301 && r.header.Get("Location") != tc.path+"/" {
				t.Errorf("Location = %q", r.header.Get("Location"))
			}
		})
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		opts        Options
		wantVersion string
		wantWorkers json.Number
	}{
		{"defaults", Options{}, "4.2.0", "1"},
		{"4.6 with 3 workers", Options{Version: "4.6", RQWorkers: 3}, "4.6.0", "3"},
		{"patch level, no workers", Options{Version: "4.2.2", RQWorkers: -1}, "4.2.2", "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, tc.opts)
			m := api(t, s, "GET", "/api/status/", nil).json(t)
			if m["netbox-version"] != tc.wantVersion || m["rq-workers-running"] != tc.wantWorkers {
				t.Errorf("status = %v", m)
			}
			if _, ok := m["plugins"].(map[string]any)["netbox_hedgehog"]; !ok {
				t.Errorf("plugins = %v, want netbox_hedgehog", m["plugins"])
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{{}, {Token: "x", Version: "3.7"}, {Token: "x", Version: "four"}} {
		if s, err := Start(o); err == nil {
			s.Close()
			t.Errorf("Start(%+v) succeeded", o)
		}
	}
}

func TestPaging(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	const n = 123
	for i := range n {
		if _, err := s.CreateFabricDirect(Fabric{Name: fmt.Sprintf("f%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	path := "/api/plugins/hedgehog/fabrics/?brief=1"
	pages := 0
	for path != "" {
		m := api(t, s, "GET", path, nil).json(t)
		pages++
		if m["count"] != json.Number(fmt.Sprint(n)) {
			t.Fatalf("count = %v", m["count"])
		}
		for _, r := range m["results"].([]any) {
			id, _ := r.(map[string]any)["id"].(json.Number).Int64()
			ids = append(ids, id)
		}
		path = ""
		if next, ok := m["next"].(string); ok {
			u, err := url.Parse(next)
			if err != nil || u.Scheme != "http" || u.Host == "" {
				t.Fatalf("next = %q, want an absolute URL", next)
			}
			if u.Query().Get("brief") != "1" || u.Query().Get("limit") != "50" {
				t.Errorf("next = %q lost the query", next)
			}
			path = u.RequestURI()
		}
	}
	if pages != 3 || len(ids) != n {
		t.Fatalf("pages = %d, ids = %d", pages, len(ids))
	}
	for i, id := range ids {
		if id != int64(i+1) {
			t.Fatalf("ids[%d] = %d: not in id order", i, id)
		}
	}
	m := api(t, s, "GET", "/api/plugins/hedgehog/fabrics/?limit=10&offset=20", nil).json(t)
	if prev := m["previous"].(string); !strings.HasSuffix(prev, "?limit=10&offset=10") {
		t.Errorf("previous = %q", prev)
	}
	m = api(t, s, "GET", "/api/plugins/hedgehog/fabrics/?limit=10&offset=10", nil).json(t)
	if prev := m["previous"].(string); !strings.HasSuffix(prev, "?limit=10") {
		t.Errorf("previous of the second page = %q, want no offset", prev)
	}
	m = api(t, s, "GET", "/api/plugins/hedgehog/fabrics/?limit=2&ordering=-name&brief=true", nil).json(t)
	want := []any{
		map[string]any{"id": json.Number("123"), "url": "/api/plugins/hedgehog/fabrics/123/", "display": "f122", "name": "f122", "description": ""},
		map[string]any{"id": json.Number("122"), "url": "/api/plugins/hedgehog/fabrics/122/", "display": "f121", "name": "f121", "description": ""},
	}
	if diff := cmp.Diff(want, m["results"]); diff != "" {
		t.Errorf("brief, ordered by -name (-want +got):\n%s", diff)
	}
	m = api(t, s, "GET", "/api/plugins/hedgehog/fabrics/?limit=5000", nil).json(t)
	if got := len(m["results"].([]any)); got != n {
		t.Errorf("limit over the maximum gave %d results", got)
	}
}

// setupFabric defines the status fields, a repository and one fabric.
func setupFabric(t *testing.T, s *Server) Fabric {
	t.Helper()
	if err := s.SetupStatusFields(); err != nil {
		t.Fatal(err)
	}
	r, err := s.CreateRepository(Repository{Name: "repo", URL: "https://github.com/o/r.git", ValidateSSL: true})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.CreateFabric(Fabric{Name: "fabric-1", GitRepository: r.ID, GitOpsDirectory: "gitops/hedgehog/fabric-1/"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFabricRepresentation(t *testing.T) {
	t.Parallel()
	for _, nested := range []bool{false, true} {
		t.Run(fmt.Sprintf("nested=%v", nested), func(t *testing.T) {
			t.Parallel()
			s := start(t, Options{NestedForeignKeys: nested})
			f := setupFabric(t, s)
			r := api(t, s, "GET", fmt.Sprintf("/api/plugins/hedgehog/fabrics/%d/", f.ID), nil)
			m := r.json(t)
			delete(m, "created")
			delete(m, "last_updated")
			var repo any = json.Number("1")
			if nested {
				repo = map[string]any{"id": json.Number("1"), "url": "/api/plugins/hedgehog/git-repos-api/1/", "display": "repo", "name": "repo"}
			}
			want := map[string]any{
				"id": json.Number("1"), "url": "/api/plugins/hedgehog/fabrics/1/", "display": "fabric-1", "name": "fabric-1",
				"description": "", "status": map[string]any{"value": "planned", "label": "Planned"},
				"git_repository": repo, "gitops_directory": "gitops/hedgehog/fabric-1/", "kubernetes_namespace": "default",
				"tags":          []any{},
				"custom_fields": map[string]any{"gitops_directory_status": nil, "directory_init_error": nil, "last_directory_sync": nil, "gitops_commit_url": nil},
			}
			if diff := cmp.Diff(want, m); diff != "" {
				t.Errorf("fabric (-want +got):\n%s", diff)
			}
			rm := api(t, s, "GET", "/api/plugins/hedgehog/git-repos-api/1/", nil).json(t)
			if rm["url"] != "https://github.com/o/r.git" || rm["default_branch"] != "main" || rm["has_credentials"] != false {
				t.Errorf("repository = %v", rm)
			}
		})
	}
}

func TestCustomFieldWrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		version  string
		plain    bool
		patch    map[string]any
		wantCode int
		wantBody string         // exact 400 body
		wantCF   map[string]any // custom_fields after, for 200
	}{
		{
			name: "merge keeps other fields", patch: map[string]any{"gitops_directory_status": "initialized"}, wantCode: 200,
			wantCF: map[string]any{"gitops_directory_status": map[string]any{"value": "initialized", "label": "Initialized"}, "directory_init_error": "old error", "last_directory_sync": nil, "gitops_commit_url": nil},
		},
		{
			name: "plain select values", plain: true, patch: map[string]any{"gitops_directory_status": "error"}, wantCode: 200,
			wantCF: map[string]any{"gitops_directory_status": "error", "directory_init_error": "old error", "last_directory_sync": nil, "gitops_commit_url": nil},
		},
		{
			name: "unknown field", patch: map[string]any{"x": "1"}, wantCode: 400,
			wantBody: `{"custom_fields":["Unknown field name 'x' in custom field data."]}`,
		},
		{
			name: "invalid choice", patch: map[string]any{"gitops_directory_status": "done"}, wantCode: 400,
			wantBody: `{"custom_fields":["Invalid value for custom field 'gitops_directory_status': Invalid choice (done) for choice set hnp_gitops_directory_status."]}`,
		},
		{
			name: "datetime +00:00", version: "4.0", patch: map[string]any{"last_directory_sync": "2026-03-06T15:11:23+00:00", "gitops_commit_url": "https://github.com/o/r/commit/abc"}, wantCode: 200,
			wantCF: map[string]any{"gitops_directory_status": nil, "directory_init_error": "old error", "last_directory_sync": "2026-03-06T15:11:23+00:00", "gitops_commit_url": "https://github.com/o/r/commit/abc"},
		},
		{
			name: "datetime Z on 4.0", version: "4.0", patch: map[string]any{"last_directory_sync": "2026-03-06T15:11:23Z"}, wantCode: 400,
			wantBody: `{"custom_fields":["Invalid value for custom field 'last_directory_sync': Date and time values must be in ISO 8601 format (YYYY-MM-DD HH:MM:SS)."]}`,
		},
		{
			name: "datetime Z on 4.2", patch: map[string]any{"last_directory_sync": "2026-03-06T15:11:23.503186Z"}, wantCode: 200,
			wantCF: map[string]any{"gitops_directory_status": nil, "directory_init_error": "old error", "last_directory_sync": "2026-03-06T15:11:23.503186Z", "gitops_commit_url": nil},
		},
		{
			name: "datetime without zone", patch: map[string]any{"last_directory_sync": "2026-03-06"}, wantCode: 400,
			wantBody: `{"custom_fields":["Invalid value for custom field 'last_directory_sync': Date and time values must be in ISO 8601 format (YYYY-MM-DD HH:MM:SS)."]}`,
		},
		{
			name: "text must be a string", patch: map[string]any{"directory_init_error": 5}, wantCode: 400,
			wantBody: `{"custom_fields":["Invalid value for custom field 'directory_init_error': Value must be a string."]}`,
		},
		{
			name: "null clears", patch: map[string]any{"directory_init_error": nil}, wantCode: 200,
			wantCF: map[string]any{"gitops_directory_status": nil, "directory_init_error": nil, "last_directory_sync": nil, "gitops_commit_url": nil},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, Options{Version: tc.version, PlainSelectValues: tc.plain})
			f := setupFabric(t, s)
			if _, err := s.UpdateFabric(f.ID, map[string]any{"custom_fields": map[string]any{"directory_init_error": "old error"}}); err != nil {
				t.Fatal(err)
			}
			path := fmt.Sprintf("/api/plugins/hedgehog/fabrics/%d/", f.ID)
			r := api(t, s, "PATCH", path, map[string]any{"custom_fields": tc.patch})
			if r.code != tc.wantCode {
				t.Fatalf("code = %d, want %d: %s", r.code, tc.wantCode, r.body)
			}
			if tc.wantCode == 400 {
				if string(r.body) != tc.wantBody {
					t.Errorf("body = %s\nwant   %s", r.body, tc.wantBody)
				}
				if got, _ := s.Fabric(f.ID); got.CustomFields["directory_init_error"] != "old error" {
					t.Errorf("a refused write changed the fabric: %v", got.CustomFields)
				}
				return
			}
			got := api(t, s, "GET", path, nil).json(t)["custom_fields"]
			if diff := cmp.Diff(tc.wantCF, got); diff != "" {
				t.Errorf("custom_fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	if err := s.SetupStatusFields(); err != nil {
		t.Fatal(err)
	}
	for i, st := range []any{"initialized", "error", nil, "initialized"} {
		if _, err := s.CreateFabric(Fabric{Name: fmt.Sprintf("f%d", i+1), CustomFields: map[string]any{"gitops_directory_status": st}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"f1", "f2", "f3", "f4"}},
		{"cf_gitops_directory_status=initialized", []string{"f1", "f4"}},
		{"cf_gitops_directory_status__n=initialized", []string{"f2", "f3"}},
		{"cf_gitops_directory_status=initialized&cf_gitops_directory_status=error", []string{"f1", "f2", "f4"}},
		{"cf_gitops_directory_status__empty=true", []string{"f3"}},
		{"name=f2&name=f3", []string{"f2", "f3"}},
		{"id=1&id=4", []string{"f1", "f4"}},
		{"name=f1&cf_gitops_directory_status__n=initialized", nil},
		{"cf_no_such_field=1", []string{"f1", "f2", "f3", "f4"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			m := api(t, s, "GET", "/api/plugins/hedgehog/fabrics/?"+tc.query, nil).json(t)
			var got []string
			for _, r := range m["results"].([]any) {
				got = append(got, r.(map[string]any)["name"].(string))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFabricValidation(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	setupFabric(t, s)
	tests := []struct {
		name     string
		method   string
		path     string
		body     any
		wantCode int
		wantBody string
	}{
		{"name required", "POST", "/api/plugins/hedgehog/fabrics/", map[string]any{"description": "x"}, 400, `{"name":["This field is required."]}`},
		{"duplicate name", "POST", "/api/plugins/hedgehog/fabrics/", map[string]any{"name": "fabric-1"}, 400, `{"name":["hedgehog fabric with this name already exists."]}`},
		{"unknown repository", "POST", "/api/plugins/hedgehog/fabrics/", map[string]any{"name": "f2", "git_repository": 9}, 400, `{"git_repository":["Related object not found using the provided numeric ID: 9"]}`},
		{"bad status", "PATCH", "/api/plugins/hedgehog/fabrics/1/", map[string]any{"status": "gone"}, 400, `{"status":["\"gone\" is not a valid choice."]}`},
		{"not an object", "POST", "/api/plugins/hedgehog/fabrics/", "x", 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}`},
		{"repository by attributes", "POST", "/api/plugins/hedgehog/fabrics/", map[string]any{"name": "f3", "git_repository": map[string]any{"name": "nope"}}, 400, `{"git_repository":["Related object not found using the provided attributes: {'name': 'nope'}"]}`},
		{"put needs name", "PUT", "/api/plugins/hedgehog/fabrics/1/", map[string]any{"description": "x"}, 400, `{"name":["This field is required."]}`},
		{"nested repository reference", "PATCH", "/api/plugins/hedgehog/fabrics/1/", map[string]any{"git_repository": map[string]any{"id": 1}}, 200, ""},
		{"repository by name", "PATCH", "/api/plugins/hedgehog/fabrics/1/", map[string]any{"git_repository": map[string]any{"name": "repo"}}, 200, ""},
		{"repository in use", "DELETE", "/api/plugins/hedgehog/git-repos-api/1/", nil, 409, `{"detail":"Unable to delete object. 1 dependent objects were found: fabric-1"}`},
		{"delete", "DELETE", "/api/plugins/hedgehog/fabrics/1/", nil, 204, ""},
	}
	for _, tc := range tests {
		r := api(t, s, tc.method, tc.path, tc.body)
		if r.code != tc.wantCode || (tc.wantBody != "" && string(r.body) != tc.wantBody) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.code, r.body, tc.wantCode, tc.wantBody)
		}
	}
	if _, ok := s.Fabric(1); ok {
		t.Error("fabric 1 still exists after DELETE")
	}
}

func TestRepositoryCredentialsAreWriteOnly(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	const secret = "ghp_supersecret"
	r := api(t, s, "POST", "/api/plugins/hedgehog/git-repos-api/", map[string]any{
		"name": "r", "url": "git@github.com:o/r.git", "provider": "github", "credentials": map[string]any{"token": secret},
	})
	if r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	for _, path := range []string{"/api/plugins/hedgehog/git-repos-api/1/", "/api/plugins/hedgehog/git-repos-api/"} {
		got := api(t, s, "GET", path, nil)
		if strings.Contains(string(got.body), secret) {
			t.Errorf("GET %s returned the credential", path)
		}
	}
	if m := r.json(t); m["has_credentials"] != true || m["provider"].(map[string]any)["value"] != "github" {
		t.Errorf("repository = %v", m)
	}
}
