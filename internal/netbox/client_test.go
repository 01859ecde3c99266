package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testToken = "0123456789abcdef0123456789abcdef01234567"

// setup starts a server with mux mounted under /netbox (NetBox served
// under a path prefix) and a client for it with fast retries.
func setup(t *testing.T, token string, mux *http.ServeMux) (*Client, *httptest.Server) {
	t.Helper()
	outer := http.NewServeMux()
	outer.Handle("/netbox/", http.StripPrefix("/netbox", mux))
	srv := httptest.NewServer(outer)
	t.Cleanup(srv.Close)
	c, err := New(Options{
		BaseURL:      srv.URL + "/netbox/",
		Token:        token,
		RetryMax:     2,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 2 * time.Millisecond,
		Timeout:      5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func writeJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

func TestGetFabricForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want Fabric
	}{
		{
			name: "integer fk, plain archive strategy",
			body: `{"id": 7, "name": "f1", "git_repository": 3, "gitops_directory": "/fabrics/f1", "archive_strategy": "move_to_archive_dir", "kubernetes_namespace": "default", "custom_fields": {"gitops_directory_status": null}, "url": "/api/plugins/hedgehog/fabrics/7/"}`,
			want: Fabric{ID: 7, Name: "f1", GitRepositoryID: 3, GitOpsDirectory: "/fabrics/f1", ArchiveStrategy: "move_to_archive_dir", KubernetesNamespace: "default", CustomFields: map[string]any{"gitops_directory_status": nil}, URL: "/api/plugins/hedgehog/fabrics/7/"},
		},
		{
			name: "nested fk, choice archive strategy",
			body: `{"id": 8, "name": "f2", "git_repository": {"id": 4, "url": "http://x/api/plugins/hedgehog/git-repos-api/4/", "display": "repo", "name": "repo"}, "archive_strategy": {"value": "none", "label": "None"}}`,
			want: Fabric{ID: 8, Name: "f2", GitRepositoryID: 4, ArchiveStrategy: "none"},
		},
		{
			name: "null fk, absent archive strategy",
			body: `{"id": 9, "name": "f3", "git_repository": null}`,
			want: Fabric{ID: 9, Name: "f3"},
		},
		{
			name: "absent fk, null archive strategy",
			body: `{"id": 10, "name": "f4", "archive_strategy": null}`,
			want: Fabric{ID: 10, Name: "f4"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/plugins/hedgehog/fabrics/{id}/", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, tt.body)
			})
			c, _ := setup(t, testToken, mux)
			got, err := c.GetFabric(context.Background(), tt.want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("fabric (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetFabricBadFK(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/plugins/hedgehog/fabrics/1/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"id": 1, "git_repository": [1]}`)
	})
	c, _ := setup(t, testToken, mux)
	_, err := c.GetFabric(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "git_repository") || !strings.HasPrefix(err.Error(), "netbox: GET /netbox/api/plugins/hedgehog/fabrics/1/: decode answer") {
		t.Fatalf("err = %v, want a decode error naming git_repository", err)
	}
}

func TestGetGitRepositoryForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want GitRepository
	}{
		{
			name: "plain choices",
			body: `{"id": 3, "name": "r", "url": "https://github.com/o/r.git", "provider": "github", "authentication_type": "token", "default_branch": "main", "validate_ssl": true, "timeout_seconds": 30, "has_credentials": true}`,
			want: GitRepository{ID: 3, Name: "r", URL: "https://github.com/o/r.git", Provider: "github", AuthenticationType: "token", DefaultBranch: "main", ValidateSSL: true, TimeoutSeconds: 30, HasCredentials: true},
		},
		{
			name: "value label choices and push branch",
			body: `{"id": 4, "name": "r", "url": "git@github.com:o/r.git", "provider": {"value": "gitlab", "label": "GitLab"}, "authentication_type": {"value": "ssh_key", "label": "SSH key"}, "default_branch": "main", "push_branch": "gitops"}`,
			want: GitRepository{ID: 4, Name: "r", URL: "git@github.com:o/r.git", Provider: "gitlab", AuthenticationType: "ssh_key", DefaultBranch: "main", PushBranch: "gitops"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/plugins/hedgehog/git-repos-api/{id}/", func(w http.ResponseWriter, r *http.Request) {
				// Real HNP hangs on a full repository answer (docs/real-netbox.md): only named fields.
				if f := r.URL.Query().Get("fields"); !strings.HasPrefix(f, "id,name,url,") || strings.Contains(f, "can_delete") {
					writeJSON(w, 400, `{"detail": "want ?fields= without can_delete_info, got `+f+`"}`)
					return
				}
				writeJSON(w, 200, tt.body)
			})
			c, _ := setup(t, testToken, mux)
			got, err := c.GetGitRepository(context.Background(), tt.want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("repository (-want +got):\n%s", diff)
			}
		})
	}
}

// pagedFabrics serves n fabrics in pages of the requested limit, with
// absolute next links built from nextBase (a foreign host when it differs
// from the server).
func pagedFabrics(n int, nextBase func(r *http.Request) string, queries *[]url.Values, mu *sync.Mutex) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		*queries = append(*queries, q)
		mu.Unlock()
		limit, offset := 0, 0
		fmt.Sscan(q.Get("limit"), &limit)
		fmt.Sscan(q.Get("offset"), &offset)
		if limit <= 0 || limit > 3 {
			limit = 3 // a server with a smaller MAX_PAGE_SIZE
		}
		var results []string
		for i := offset; i < n && i < offset+limit; i++ {
			results = append(results, fmt.Sprintf(`{"id": %d, "name": "f%d", "git_repository": %d}`, i+1, i+1, i+100))
		}
		next := "null"
		if offset+limit < n {
			nq := url.Values{}
			for k, v := range q {
				nq[k] = v
			}
			nq.Set("limit", fmt.Sprint(limit))
			nq.Set("offset", fmt.Sprint(offset+limit))
			next = fmt.Sprintf("%q", nextBase(r)+"/api/plugins/hedgehog/fabrics/?"+nq.Encode())
		}
		writeJSON(w, 200, fmt.Sprintf(`{"count": %d, "next": %s, "previous": null, "results": [%s]}`, n, next, strings.Join(results, ", ")))
	}
}

func TestListFabricsPaging(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		foreign bool
	}{
		{name: "next on the same host is followed"},
		{name: "next on another host is rebased on the configured URL", foreign: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var (
				mu      sync.Mutex
				queries []url.Values
			)
			mux := http.NewServeMux()
			var srvURL string
			mux.HandleFunc("GET /api/plugins/hedgehog/fabrics/", pagedFabrics(7, func(r *http.Request) string {
				if tt.foreign {
					return "http://elsewhere.invalid:81/netbox"
				}
				return srvURL + "/netbox"
			}, &queries, &mu))
			c, srv := setup(t, testToken, mux)
			srvURL = srv.URL
			got, err := c.ListFabrics(context.Background(), url.Values{"cf_gitops_directory_status": {"error"}})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, f := range got {
				ids = append(ids, f.ID)
				if f.GitRepositoryID != f.ID+99 {
					t.Errorf("fabric %d: git repository %d", f.ID, f.GitRepositoryID)
				}
			}
			if diff := cmp.Diff([]int64{1, 2, 3, 4, 5, 6, 7}, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(queries) != 3 {
				t.Fatalf("%d requests, want 3", len(queries))
			}
			if queries[0].Get("limit") != "1000" {
				t.Errorf("first limit = %q, want 1000", queries[0].Get("limit"))
			}
			for i, q := range queries {
				if q.Get("cf_gitops_directory_status") != "error" {
					t.Errorf("request %d lost the filter: %v", i, q)
				}
			}
		})
	}
}

func TestListFabricsPageLoop(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	var srvURL string
	mux.HandleFunc("GET /api/plugins/hedgehog/fabrics/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fmt.Sprintf(`{"count": 2, "next": %q, "results": [{"id": 1}]}`, srvURL+"/netbox/api/plugins/hedgehog/fabrics/?limit=1&offset=1"))
	})
	c, srv := setup(t, testToken, mux)
	srvURL = srv.URL
	_, err := c.ListFabrics(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "page loop") {
		t.Fatalf("err = %v, want a page loop error", err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		code      int
		body      string
		wantIs    []error
		wantNotIs []error
		wantMsg   string
		wantTemp  bool
		wantTries int32
	}{
		{
			name: "403 invalid token", code: 403, body: `{"detail": "Invalid token"}`,
			wantIs: []error{ErrAuth}, wantNotIs: []error{ErrNotFound, ErrInvalid},
			wantMsg:   "netbox: PATCH /netbox/api/plugins/hedgehog/fabrics/5/: 403: Invalid token",
			wantTries: 1,
		},
		{
			name: "401", code: 401, body: `{"detail": "Authentication credentials were not provided."}`,
			wantIs:    []error{ErrAuth},
			wantMsg:   "netbox: PATCH /netbox/api/plugins/hedgehog/fabrics/5/: 401: Authentication credentials were not provided.",
			wantTries: 1,
		},
		{
			name: "404", code: 404, body: `{"detail": "No HedgehogFabric matches the given query."}`,
			wantIs: []error{ErrNotFound}, wantNotIs: []error{ErrAuth},
			wantMsg:   "netbox: PATCH /netbox/api/plugins/hedgehog/fabrics/5/: 404: No HedgehogFabric matches the given query.",
			wantTries: 1,
		},
		{
			name: "400 field errors, not retried", code: 400,
			body:      `{"custom_fields": ["Unknown field name 'bogus' in custom field data."], "name": "This field is required."}`,
			wantIs:    []error{ErrInvalid},
			wantMsg:   "netbox: PATCH /netbox/api/plugins/hedgehog/fabrics/5/: 400; custom_fields: Unknown field name 'bogus' in custom field data.; name: This field is required.",
			wantTries: 1,
		},
		{
			name: "500 after retries", code: 500,
			body:      `{"error": "boom", "exception": "ProgrammingError", "netbox_version": "4.2.2", "python_version": "3.12"}`,
			wantMsg:   "netbox: PATCH /netbox/api/plugins/hedgehog/fabrics/5/: 500: ProgrammingError",
			wantTemp:  true,
			wantTries: 3,
		},
		{
			name: "502 html from a proxy", code: 502, body: "<html><body>Bad   gateway</body></html>\n",
			wantMsg:   "netbox: PATCH /netbox/api/plugins/hedgehog/fabrics/5/: 502: <html><body>Bad gateway</body></html>",
			wantTemp:  true,
			wantTries: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var tries atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("PATCH /api/plugins/hedgehog/fabrics/5/", func(w http.ResponseWriter, r *http.Request) {
				tries.Add(1)
				writeJSON(w, tt.code, tt.body)
			})
			c, _ := setup(t, testToken, mux)
			_, err := c.UpdateFabricCustomFields(context.Background(), 5, map[string]any{"x": 1})
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("message\n got %q\nwant %q", err.Error(), tt.wantMsg)
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v) = false", target)
				}
			}
			for _, target := range tt.wantNotIs {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(%v) = true", target)
				}
			}
			if apiErr.Temporary() != tt.wantTemp {
				t.Errorf("Temporary() = %v", apiErr.Temporary())
			}
			if got := tries.Load(); got != tt.wantTries {
				t.Errorf("%d attempts, want %d", got, tt.wantTries)
			}
		})
	}
}

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	var tries atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/plugins/hedgehog/git-repos-api/3/", func(w http.ResponseWriter, r *http.Request) {
		if tries.Add(1) < 3 {
			writeJSON(w, 503, `{"error": "starting"}`)
			return
		}
		writeJSON(w, 200, `{"id": 3, "name": "r"}`)
	})
	c, _ := setup(t, testToken, mux)
	r, err := c.GetGitRepository(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "r" || tries.Load() != 3 {
		t.Errorf("got %+v after %d attempts, want r after 3", r, tries.Load())
	}
}

func TestPostNotRetried(t *testing.T) {
	t.Parallel()
	var tries atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/extras/webhooks/", func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		writeJSON(w, 500, `{"error": "x", "exception": "OperationalError"}`)
	})
	c, _ := setup(t, testToken, mux)
	_, err := c.CreateObject(context.Background(), EndpointWebhooks, map[string]any{"name": "w"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !apiErr.Temporary() {
		t.Fatalf("err = %v, want a temporary *APIError", err)
	}
	if tries.Load() != 1 {
		t.Errorf("%d attempts, want 1", tries.Load())
	}
}

func TestAuthHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, token, want string
	}{
		{name: "v1 key", token: testToken, want: "Token " + testToken},
		{name: "v2 token", token: "nbt_abcdef123456.sekritsekritsekrit", want: "Bearer nbt_abcdef123456.sekritsekritsekrit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got, accept string
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/status/", func(w http.ResponseWriter, r *http.Request) {
				got, accept = r.Header.Get("Authorization"), r.Header.Get("Accept")
				writeJSON(w, 200, `{"netbox-version": "4.5.1", "plugins": {"netbox_hedgehog": "0.1.0"}, "rq-workers-running": 1}`)
			})
			c, _ := setup(t, tt.token, mux)
			s, err := c.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || accept != "application/json" {
				t.Errorf("Authorization %q Accept %q, want %q and application/json", got, accept, tt.want)
			}
			// Date is the answer's Date header, which Go's server sets.
			if s.Date.IsZero() || time.Since(s.Date).Abs() > time.Minute {
				t.Errorf("status Date %v, want the answer's", s.Date)
			}
			s.Date = time.Time{}
			want := Status{NetBoxVersion: "4.5.1", Plugins: map[string]any{"netbox_hedgehog": "0.1.0"}, RQWorkersRunning: 1}
			if diff := cmp.Diff(want, *s); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateFabricCustomFields(t *testing.T) {
	t.Parallel()
	var body map[string]any
	var ctype string
	mux := http.NewServeMux()
	mux.HandleFunc("PATCH /api/plugins/hedgehog/fabrics/12/", func(w http.ResponseWriter, r *http.Request) {
		ctype = r.Header.Get("Content-Type")
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Error(err)
		}
		w.Header().Set("X-Request-ID", "5f0c7d7e-7d4a-4a47-9a8e-1b2c3d4e5f60")
		writeJSON(w, 200, `{"id": 12}`)
	})
	c, _ := setup(t, testToken, mux)
	when := time.Date(2026, 3, 6, 16, 11, 23, 503186000, time.FixedZone("CET", 3600))
	id, err := c.UpdateFabricCustomFields(context.Background(), 12, map[string]any{
		"gitops_directory_status": "initialized",
		"last_directory_sync":     FormatTime(when),
	})
	if err != nil {
		t.Fatal(err)
	}
	if id != "5f0c7d7e-7d4a-4a47-9a8e-1b2c3d4e5f60" {
		t.Errorf("request id %q", id)
	}
	want := map[string]any{"custom_fields": map[string]any{
		"gitops_directory_status": "initialized",
		"last_directory_sync":     "2026-03-06T15:11:23+00:00",
	}}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if ctype != "application/json" {
		t.Errorf("Content-Type %q", ctype)
	}
}

// TestTokenNeverInErrors makes NetBox echo the token back in every kind of
// error body, and makes the transport fail with the token in its message:
// no error string may contain it.
func TestTokenNeverInErrors(t *testing.T) {
	t.Parallel()
	for _, token := range []string{testToken, "nbt_keykeykey.tokentokentoken"} {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /api/plugins/hedgehog/fabrics/1/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 403, `{"detail": "Invalid token `+token+`"}`)
		})
		mux.HandleFunc("GET /api/plugins/hedgehog/fabrics/2/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 400, `{"token": ["`+token+` is wrong"], "x": {"y": "`+token+`"}}`)
		})
		mux.HandleFunc("GET /api/plugins/hedgehog/fabrics/3/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 500, `{"error": "e", "exception": "`+token+`"}`)
		})
		mux.HandleFunc("GET /api/plugins/hedgehog/fabrics/4/", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			io.WriteString(w, "proxy says "+token)
		})
		c, _ := setup(t, token, mux)
		var errs []error
		for id := int64(1); id <= 4; id++ {
			_, err := c.GetFabric(context.Background(), id)
			errs = append(errs, err)
		}
		// A transport error whose text holds the token.
		c2, err := New(Options{BaseURL: "http://netbox.invalid", Token: token, RetryMax: -1,
			Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
				return nil, errors.New("dial failed for " + token)
			})})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c2.Status(context.Background())
		errs = append(errs, err)
		for i, err := range errs {
			if err == nil {
				t.Fatalf("token %d: request %d: no error", len(token), i)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %d contains the token: %s", i, err)
			}
			if !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("error %d lost the message around the token: %s", i, err)
			}
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNetworkError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // connection refused from now on
	c, err := New(Options{BaseURL: base, Token: testToken, RetryMax: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFabric(context.Background(), 1)
	if err == nil || !strings.HasPrefix(err.Error(), "netbox: GET /api/plugins/hedgehog/fabrics/1/: ") {
		t.Fatalf("err = %v, want the netbox: GET prefix", err)
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		t.Errorf("a network error is not an *APIError: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.GetFabric(ctx, 1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{name: "no scheme", o: Options{BaseURL: "netbox.example.com", Token: "t"}, want: "not an http(s) URL"},
		{name: "no token", o: Options{BaseURL: "https://netbox.example.com"}, want: "no API token"},
		{name: "credentials in URL", o: Options{BaseURL: "https://u:" + testToken + "@netbox.example.com", Token: "t"}, want: "must not carry credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error contains the secret: %v", err)
			}
		})
	}
}

func TestBaseURLForms(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"https://nb.example.com", "https://nb.example.com/", "https://nb.example.com/api/", "https://nb.example.com/api"} {
		c, err := New(Options{BaseURL: base, Token: "t"})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.apiURL("status/", nil).String(); got != "https://nb.example.com/api/status/" {
			t.Errorf("%s: status URL %s", base, got)
		}
	}
}

func TestExtras(t *testing.T) {
	t.Parallel()
	var got []string
	var mu sync.Mutex
	record := func(r *http.Request, body string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Method+" "+r.URL.RequestURI()+" "+body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/extras/webhooks/", func(w http.ResponseWriter, r *http.Request) {
		record(r, "")
		writeJSON(w, 200, `{"count": 1, "next": null, "results": [{"id": 4, "name": "hnp-gitops", "http_method": "POST"}]}`)
	})
	mux.HandleFunc("POST /api/extras/custom-links/", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		record(r, string(b))
		writeJSON(w, 201, `{"id": 9, "name": "l", "button_class": {"value": "blue", "label": "Blue"}}`)
	})
	mux.HandleFunc("PATCH /api/extras/event-rules/2/", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		record(r, string(b))
		writeJSON(w, 200, `{"id": 2, "enabled": true}`)
	})
	c, _ := setup(t, testToken, mux)
	ctx := context.Background()
	list, err := c.ListObjects(ctx, EndpointWebhooks, url.Values{"name": {"hnp-gitops"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID() != 4 || list[0].String("http_method") != "POST" {
		t.Errorf("list = %v", list)
	}
	link, err := c.CreateObject(ctx, EndpointCustomLinks, map[string]any{"name": "l"})
	if err != nil {
		t.Fatal(err)
	}
	if link.ID() != 9 || link.String("button_class") != "blue" {
		t.Errorf("created %v", link)
	}
	if _, err := c.UpdateObject(ctx, EndpointEventRules, 2, map[string]any{"enabled": true}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /api/extras/webhooks/?limit=1000&name=hnp-gitops ",
		`POST /api/extras/custom-links/ {"name":"l"}`,
		`PATCH /api/extras/event-rules/2/ {"enabled":true}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if _, err := c.ListObjects(ctx, "plugins/hedgehog/fabrics", nil); err == nil {
		t.Error("a non-extras endpoint was accepted")
	}
}

func TestRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, url, want string
	}{
		{"GET", "https://nb/api/plugins/hedgehog/fabrics/12/", "GET /api/plugins/hedgehog/fabrics/{id}/"},
		{"GET", "https://nb/netbox/api/plugins/hedgehog/fabrics/?limit=1000&offset=2000", "GET /api/plugins/hedgehog/fabrics/"},
		{"PATCH", "https://nb/api/plugins/hedgehog/fabrics/7/", "PATCH /api/plugins/hedgehog/fabrics/{id}/"},
		{"GET", "https://nb/api/plugins/hedgehog/git-repos-api/3/", "GET /api/plugins/hedgehog/git-repos-api/{id}/"},
		{"GET", "https://nb/api/status/", "GET /api/status/"},
		{"PATCH", "https://nb/api/extras/custom-fields/31/", "PATCH /api/extras/custom-fields/{id}/"},
		{"GET", "https://nb/login/", "GET other"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, tt.url, nil)
			if got := Route(r); got != tt.want {
				t.Errorf("Route(%s %s) = %q, want %q", tt.method, tt.url, got, tt.want)
			}
		})
	}
}

func TestStatusVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in           string
		major, minor int
		ok           bool
	}{
		{"4.2.2", 4, 2, true},
		{"v4.1.0-beta1", 4, 1, true},
		{"4.0.11-Docker-3.0.2", 4, 0, true},
		{"4.10", 4, 10, true},
		{"4.7-beta", 4, 7, true},
		{"", 0, 0, false},
		{"four", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			major, minor, ok := (&Status{NetBoxVersion: tt.in}).Version()
			if major != tt.major || minor != tt.minor || ok != tt.ok {
				t.Errorf("Version(%q) = %d, %d, %v", tt.in, major, minor, ok)
			}
		})
	}
}

// TestAPIErrorClasses: the 400s the core acts on are classified here, from
// the bodies real NetBox 4.3.7 with HNP 705549aa sent.
func TestAPIErrorClasses(t *testing.T) {
	t.Parallel()
	blank := &APIError{StatusCode: 400, Fields: map[string][]string{
		"watch_crd_types": {"This field cannot be blank."}, "scheduler_metadata": {"This field cannot be blank."},
		"active_sync_tasks": {"This field cannot be blank."},
	}}
	unknown := &APIError{StatusCode: 400, Fields: map[string][]string{
		"custom_fields": {"Unknown field name 'gitops_directory_status' in custom field data."},
	}}
	other := &APIError{StatusCode: 400, Fields: map[string][]string{"name": {"This field is required."}}}
	for _, tc := range []struct {
		err            *APIError
		blank, unknown bool
	}{{blank, true, false}, {unknown, false, true}, {other, false, false}, {&APIError{StatusCode: 500}, false, false}} {
		if got := errors.Is(tc.err, ErrBlankModelField); got != tc.blank {
			t.Errorf("%v: ErrBlankModelField %v, want %v", tc.err, got, tc.blank)
		}
		if got := errors.Is(tc.err, ErrUnknownCustomField); got != tc.unknown {
			t.Errorf("%v: ErrUnknownCustomField %v, want %v", tc.err, got, tc.unknown)
		}
	}
	if got := blank.BlankFields(); !slices.Equal(got, []string{"active_sync_tasks", "scheduler_metadata", "watch_crd_types"}) {
		t.Errorf("BlankFields = %v", got)
	}
}
