package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/metrics"
	"github.com/githedgehog/hnp-gitops/internal/server"
	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/nbwire"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

const (
	testSecret = "webhook-s3cret-value"
	testToken  = "api-t0ken-value"
	ownRequest = "11111111-2222-3333-4444-555555555555"
)

type harness struct {
	h       http.Handler
	queue   *fakeQueue
	metrics *metrics.Metrics
	logs    *testkit.SyncBuffer
}

func newHarness(t *testing.T, mod func(*server.Options)) *harness {
	t.Helper()
	hs := &harness{queue: &fakeQueue{}, metrics: metrics.New(metrics.BuildInfo{}), logs: &testkit.SyncBuffer{}}
	o := server.Options{
		WebhookSecret: []byte(testSecret),
		APIToken:      testToken,
		Queue:         hs.queue,
		Self:          fakeSelf{ownRequest: true},
		Results:       fakeResults{7: map[string]any{"result": "committed", "commit": "abc"}},
		Metrics:       hs.metrics,
		Logger:        testLogger(hs.logs),
		MaxBodyBytes:  64 << 10,
	}
	if mod != nil {
		mod(&o)
	}
	h, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs.h = h
	return hs
}

func (hs *harness) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	hs.h.ServeHTTP(rec, req)
	return rec
}

func post(body []byte, signature string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/netbox", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(netboxhook.SignatureHeader, signature)
	}
	return req
}

func sign(body []byte) string { return netboxhook.Sign([]byte(testSecret), body) }

func errorMessage(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct{ Error string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", rec.Body, err)
	}
	if body.Error == "" || strings.ContainsAny(body.Error, "\n\r") {
		t.Errorf("error message %q: want one non-empty line", body.Error)
	}
	return body.Error
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	created := fabric{id: 7, status: "not_initialized", lastUpdated: "2026-03-06T15:11:23.100000Z"}
	edited := created
	edited.description, edited.lastUpdated = "moved to the new repo", "2026-03-06T15:12:00.000000Z"
	initializing := created
	initializing.status, initializing.lastUpdated = "initializing", "2026-03-06T15:11:24.000000Z"
	initialized := initializing
	initialized.status, initialized.lastUpdated = "initialized", "2026-03-06T15:11:25.000000Z"
	failed := initializing
	failed.status, failed.initError = "error", "github: 403"
	userReset := initialized
	userReset.status = "not_initialized"

	pythonBody := func(version string) []byte {
		// Written by Python's json.dumps, as NetBox does (see
		// pkg/netboxhook/testdata/gen.py): a user edit of fabric 7.
		b, err := os.ReadFile("../../pkg/netboxhook/testdata/payload-" + version + ".json")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	valid42 := delivery(t, nbwire.Form40, "created", "r-42", nil, &created)
	valid46 := delivery(t, nbwire.Form46, "updated", "r-46", &created, &edited)
	huge := delivery(t, nbwire.Form46, "updated", "r-huge", &created, &fabric{id: 7, description: strings.Repeat("x", 70<<10)})

	tests := []struct {
		name      string
		req       func() *http.Request
		insecure  bool // no secret, InsecureSkipSignature
		wantCode  int
		wantError string // substring of the JSON error, for non-2xx
		wantQueue []string
		wantCount map[string]float64
	}{
		{
			name:      "4.2 created, signed",
			req:       func() *http.Request { return post(valid42, sign(valid42)) },
			wantCode:  202,
			wantQueue: []string{"webhook created"},
			wantCount: map[string]float64{"accepted": 1},
		},
		{
			name:      "4.6 updated by a user, signed",
			req:       func() *http.Request { return post(valid46, sign(valid46)) },
			wantCode:  202,
			wantQueue: []string{"webhook updated"},
			wantCount: map[string]float64{"accepted": 1},
		},
		{
			name:      "4.0 body written by Python",
			req:       func() *http.Request { b := pythonBody("4.0"); return post(b, sign(b)) },
			wantCode:  202,
			wantQueue: []string{"webhook updated"},
			wantCount: map[string]float64{"accepted": 1},
		},
		{
			name:      "4.6 body written by Python",
			req:       func() *http.Request { b := pythonBody("4.6"); return post(b, sign(b)) },
			wantCode:  202,
			wantQueue: []string{"webhook updated"},
			wantCount: map[string]float64{"accepted": 1},
		},
		{
			name:      "upper-case signature",
			req:       func() *http.Request { return post(valid46, strings.ToUpper(sign(valid46))) },
			wantCode:  202,
			wantQueue: []string{"webhook updated"},
			wantCount: map[string]float64{"accepted": 1},
		},
		{
			name:      "missing signature",
			req:       func() *http.Request { return post(valid46, "") },
			wantCode:  401,
			wantError: "missing signature",
			wantCount: map[string]float64{"bad_signature": 1},
		},
		{
			name:      "signed with another secret",
			req:       func() *http.Request { return post(valid46, netboxhook.Sign([]byte("other"), valid46)) },
			wantCode:  401,
			wantError: "bad signature",
			wantCount: map[string]float64{"bad_signature": 1},
		},
		{
			name:      "truncated signature",
			req:       func() *http.Request { return post(valid46, sign(valid46)[:100]) },
			wantCode:  401,
			wantError: "bad signature",
			wantCount: map[string]float64{"bad_signature": 1},
		},
		{
			name:      "body truncated after signing",
			req:       func() *http.Request { return post(valid46[:len(valid46)-10], sign(valid46)) },
			wantCode:  401,
			wantError: "bad signature",
			wantCount: map[string]float64{"bad_signature": 1},
		},
		{
			name:      "malformed JSON is checked after the signature",
			req:       func() *http.Request { return post(valid46[:len(valid46)-10], "") },
			wantCode:  401,
			wantError: "missing signature",
			wantCount: map[string]float64{"bad_signature": 1},
		},
		{
			name:      "oversize with Content-Length",
			req:       func() *http.Request { return post(huge, sign(huge)) },
			wantCode:  413,
			wantError: "body too large",
			wantCount: map[string]float64{"too_large": 1},
		},
		{
			name: "oversize without Content-Length",
			req: func() *http.Request {
				r := post(huge, sign(huge))
				r.ContentLength = -1
				return r
			},
			wantCode:  413,
			wantError: "body too large",
			wantCount: map[string]float64{"too_large": 1},
		},
		{
			name: "oversize with a lying Content-Length",
			req: func() *http.Request {
				r := post(huge, sign(huge))
				r.ContentLength = 100
				return r
			},
			wantCode:  413,
			wantError: "body too large",
			wantCount: map[string]float64{"too_large": 1},
		},
		{
			name:      "not JSON, signed",
			req:       func() *http.Request { b := []byte("event=created&id=7"); return post(b, sign(b)) },
			wantCode:  400,
			wantError: "invalid payload: not JSON",
			wantCount: map[string]float64{"bad_request": 1},
		},
		{
			name: "wrong shape, signed",
			req: func() *http.Request {
				b := []byte(`{"event": "created", "model": "hedgehogfabric", "data": {"id": "7"}}`)
				return post(b, sign(b))
			},
			wantCode:  400,
			wantError: "invalid payload: data.id: want an integer, got a string",
			wantCount: map[string]float64{"bad_request": 1},
		},
		{
			name: "another object type",
			req: func() *http.Request {
				b, _ := nbwire.Body(nbwire.Form46, &netboxhook.Event{Event: "updated", ObjectType: "dcim.device", Data: map[string]any{"id": 7}})
				return post(b, sign(b))
			},
			wantCode:  202,
			wantCount: map[string]float64{"ignored": 1},
		},
		{
			name: "another plugin model, 4.2",
			req: func() *http.Request {
				b, _ := nbwire.Body(nbwire.Form40, &netboxhook.Event{Event: "updated", Model: "gitrepository", Data: map[string]any{"id": 3}})
				return post(b, sign(b))
			},
			wantCode:  202,
			wantCount: map[string]float64{"ignored": 1},
		},
		{
			name: "fabric deleted",
			req: func() *http.Request {
				b := delivery(t, nbwire.Form47, "deleted", "r-del", &initialized, nil)
				return post(b, sign(b))
			},
			wantCode:  202,
			wantCount: map[string]float64{"ignored": 1},
		},
		{
			name: "job event",
			req: func() *http.Request {
				b, _ := nbwire.Body(nbwire.Form47, &netboxhook.Event{Event: "job_started", ObjectType: "netbox_hedgehog.hedgehogfabric", Data: map[string]any{"id": 7}})
				return post(b, sign(b))
			},
			wantCode:  202,
			wantCount: map[string]float64{"ignored": 1},
		},
		{
			name: "own write, known request id (4.6)",
			req: func() *http.Request {
				b := delivery(t, nbwire.Form46, "updated", ownRequest, &created, &initializing)
				return post(b, sign(b))
			},
			wantCode:  202,
			wantCount: map[string]float64{"self": 1},
		},
		{
			name: "own write, known request id (4.2), even with other changes",
			req: func() *http.Request {
				b := delivery(t, nbwire.Form40, "updated", ownRequest, &created, &edited)
				return post(b, sign(b))
			},
			wantCode:  202,
			wantCount: map[string]float64{"self": 1},
		},
		{
			name: "own write, unknown request id, only status fields changed",
			req: func() *http.Request {
				b := delivery(t, nbwire.Form47, "updated", "other-replica", &initializing, &initialized)
				return post(b, sign(b))
			},
			wantCode:  202,
			wantCount: map[string]float64{"self": 1},
		},
		{
			name: "own error write, only status fields changed",
			req: func() *http.Request {
				b := delivery(t, nbwire.Form40, "updated", "", &initializing, &failed)
				return post(b, sign(b))
			},
			wantCode:  202,
			wantCount: map[string]float64{"self": 1},
		},
		{
			name: "user sets status to not_initialized",
			req: func() *http.Request {
				b := delivery(t, nbwire.Form46, "updated", "r-user", &initialized, &userReset)
				return post(b, sign(b))
			},
			wantCode:  202,
			wantQueue: []string{"webhook updated"},
			wantCount: map[string]float64{"accepted": 1},
		},
		{
			name: "user save that changes nothing",
			req: func() *http.Request {
				b := delivery(t, nbwire.Form46, "updated", "r-noop", &initialized, &initialized)
				return post(b, sign(b))
			},
			wantCode:  202,
			wantQueue: []string{"webhook updated"},
			wantCount: map[string]float64{"accepted": 1},
		},
		{
			name:      "insecure mode accepts unsigned",
			insecure:  true,
			req:       func() *http.Request { return post(valid46, "") },
			wantCode:  202,
			wantQueue: []string{"webhook updated"},
			wantCount: map[string]float64{"accepted": 1},
		},
		{
			name:      "GET is not allowed",
			req:       func() *http.Request { return httptest.NewRequest(http.MethodGet, "/webhooks/netbox", nil) },
			wantCode:  405,
			wantError: "Method Not Allowed",
			wantCount: map[string]float64{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, func(o *server.Options) {
				if tt.insecure {
					o.WebhookSecret, o.InsecureSkipSignature = nil, true
				}
			})
			rec := hs.do(tt.req())
			if rec.Code != tt.wantCode {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantCode, rec.Body)
			}
			if tt.wantError != "" {
				if msg := errorMessage(t, rec); !strings.Contains(msg, tt.wantError) {
					t.Errorf("error %q, want it to contain %q", msg, tt.wantError)
				}
			}
			if diff := cmp.Diff(tt.wantQueue, hs.queue.Calls()); diff != "" {
				t.Errorf("queue calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCount, webhookCounts(t, hs.metrics)); diff != "" {
				t.Errorf("webhook counts (-want +got):\n%s", diff)
			}
			logs := hs.logs.String()
			for _, secret := range []string{testSecret, testToken, "moved to the new repo", "xxxxxxxxxx"} {
				if strings.Contains(logs, secret) {
					t.Errorf("log contains %q:\n%s", secret, logs)
				}
			}
			if rec.Code != 405 && strings.Count(logs, "webhook delivery") != 1 {
				t.Errorf("want one log line for the delivery, got:\n%s", logs)
			}
		})
	}
}

// TestWebhookBurst sends many events of one fabric at once: the handler
// passes every one to the queue (deduplication is the queue's job), and the
// queue ends with one key.
func TestWebhookBurst(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, nil)
	pre := fabric{id: 42, status: "initialized"}
	const n = 50
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			post := pre
			post.description = "edit " + itoa(int64(i))
			b := delivery(t, []nbwire.Form{nbwire.Form40, nbwire.Form46}[i%2], "updated", "r-"+itoa(int64(i)), &pre, &post)
			codes[i] = hs.do(postReq(b)).Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 202 {
			t.Errorf("delivery %d: status %d", i, c)
		}
	}
	if got := len(hs.queue.Calls()); got != n {
		t.Errorf("Enqueue called %d times, want %d", got, n)
	}
	if diff := cmp.Diff([]int64{42}, hs.queue.Keys()); diff != "" {
		t.Errorf("queued keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]float64{"accepted": n}, webhookCounts(t, hs.metrics)); diff != "" {
		t.Errorf("webhook counts (-want +got):\n%s", diff)
	}
}

func postReq(b []byte) *http.Request { return post(b, sign(b)) }

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		o       server.Options
		wantErr error
	}{
		{name: "no secret", o: server.Options{Queue: &fakeQueue{}}, wantErr: server.ErrNoSecret},
		{name: "no secret, insecure", o: server.Options{Queue: &fakeQueue{}, InsecureSkipSignature: true}},
		{name: "no queue", o: server.Options{WebhookSecret: []byte("s")}, wantErr: server.ErrNoQueue},
		{name: "minimal", o: server.Options{WebhookSecret: []byte("s"), Queue: &fakeQueue{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := server.New(tt.o)
			if err != tt.wantErr {
				t.Fatalf("New: %v, want %v", err, tt.wantErr)
			}
			if err == nil && h == nil {
				t.Fatal("nil handler")
			}
		})
	}
}
