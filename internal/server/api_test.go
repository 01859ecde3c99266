package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/server"
)

func TestAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		noToken   bool
		method    string
		path      string
		auth      string
		wantCode  int
		wantBody  string // exact JSON for 2xx; substring of the error otherwise
		wantQueue []string
	}{
		{name: "disabled without a token", noToken: true, method: "POST", path: "/api/v1/fabrics/7/reconcile", auth: "Bearer " + testToken, wantCode: 404, wantBody: "API disabled"},
		{name: "disabled, result", noToken: true, method: "GET", path: "/api/v1/fabrics/7", wantCode: 404, wantBody: "API disabled"},
		{name: "no Authorization", method: "POST", path: "/api/v1/fabrics/7/reconcile", wantCode: 401, wantBody: "bearer token"},
		{name: "wrong token", method: "POST", path: "/api/v1/fabrics/7/reconcile", auth: "Bearer nope", wantCode: 401, wantBody: "bearer token"},
		{name: "token prefix", method: "POST", path: "/api/v1/fabrics/7/reconcile", auth: "Bearer " + testToken[:5], wantCode: 401, wantBody: "bearer token"},
		{name: "basic scheme", method: "POST", path: "/api/v1/fabrics/7/reconcile", auth: "Basic " + testToken, wantCode: 401, wantBody: "bearer token"},
		{name: "reconcile", method: "POST", path: "/api/v1/fabrics/7/reconcile", auth: "Bearer " + testToken, wantCode: 202, wantBody: `{"result":"queued","fabric_id":7}`, wantQueue: []string{"api"}},
		{name: "lower-case scheme", method: "POST", path: "/api/v1/fabrics/8/reconcile", auth: "bearer " + testToken, wantCode: 202, wantBody: `{"result":"queued","fabric_id":8}`, wantQueue: []string{"api"}},
		{name: "reconcile, bad id", method: "POST", path: "/api/v1/fabrics/x/reconcile", auth: "Bearer " + testToken, wantCode: 400, wantBody: "positive integer"},
		{name: "reconcile, id zero", method: "POST", path: "/api/v1/fabrics/0/reconcile", auth: "Bearer " + testToken, wantCode: 400, wantBody: "positive integer"},
		{name: "result", method: "GET", path: "/api/v1/fabrics/7", auth: "Bearer " + testToken, wantCode: 200, wantBody: `{"commit":"abc","result":"committed"}`},
		{name: "no result yet", method: "GET", path: "/api/v1/fabrics/8", auth: "Bearer " + testToken, wantCode: 404, wantBody: "no result for fabric 8 yet"},
		{name: "result without auth", method: "GET", path: "/api/v1/fabrics/7", wantCode: 401, wantBody: "bearer token"},
		{name: "unknown API route", method: "GET", path: "/api/v1/nothing", auth: "Bearer " + testToken, wantCode: 404, wantBody: "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, func(o *server.Options) {
				if tt.noToken {
					o.APIToken = ""
				}
			})
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := hs.do(req)
			if rec.Code != tt.wantCode {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantCode, rec.Body)
			}
			if rec.Code < 300 {
				if got := strings.TrimSpace(rec.Body.String()); got != tt.wantBody {
					t.Errorf("body %s, want %s", got, tt.wantBody)
				}
			} else if msg := errorMessage(t, rec); !strings.Contains(msg, tt.wantBody) {
				t.Errorf("error %q, want it to contain %q", msg, tt.wantBody)
			}
			if rec.Code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if strings.Contains(rec.Body.String(), testToken) {
				t.Error("answer contains the token")
			}
			if diff := cmp.Diff(tt.wantQueue, hs.queue.Calls()); diff != "" {
				t.Errorf("queue calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProbes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ready    func(context.Context) error
		path     string
		wantCode int
		wantBody string
	}{
		{name: "healthz", path: "/healthz", wantCode: 200, wantBody: `{"status":"ok"}`},
		{name: "healthz while not ready", ready: func(context.Context) error { return errors.New("draining") }, path: "/healthz", wantCode: 200, wantBody: `{"status":"ok"}`},
		{name: "readyz without a check", path: "/readyz", wantCode: 200, wantBody: `{"status":"ready"}`},
		{name: "readyz ready", ready: func(context.Context) error { return nil }, path: "/readyz", wantCode: 200, wantBody: `{"status":"ready"}`},
		{
			name:     "readyz not ready, reason on one line",
			ready:    func(context.Context) error { return errors.New("shutting down:\n  draining the queue") },
			path:     "/readyz",
			wantCode: 503,
			wantBody: `{"error":"not ready: shutting down: draining the queue"}`,
		},
		{name: "unknown path", path: "/nope", wantCode: 404, wantBody: `{"error":"Not Found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, func(o *server.Options) { o.Ready = tt.ready })
			rec := hs.do(httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != tt.wantCode {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantCode)
			}
			if got := strings.TrimSpace(rec.Body.String()); got != tt.wantBody {
				t.Errorf("body %s, want %s", got, tt.wantBody)
			}
		})
	}
}
