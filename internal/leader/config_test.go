package leader

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestInCluster(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	env := map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
	tests := []struct {
		name    string
		env     map[string]string
		files   map[string]string
		want    *Config // TokenFile and CAFile are relative to the directory
		wantErr error
		errText string
	}{
		{name: "not in a cluster", env: map[string]string{}, wantErr: ErrNotInCluster},
		{name: "port missing", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, wantErr: ErrNotInCluster},
		{name: "no token", env: env, files: map[string]string{"ca.crt": string(caPEM), "namespace": "hnp"}, wantErr: ErrNotInCluster},
		{name: "empty token", env: env, files: map[string]string{"token": "\n", "ca.crt": string(caPEM), "namespace": "hnp"}, wantErr: ErrNotInCluster},
		{name: "bad CA", env: env, files: map[string]string{"token": "t", "ca.crt": "nope", "namespace": "hnp"}, errText: "no PEM certificate"},
		{name: "no namespace", env: env, files: map[string]string{"token": "t", "ca.crt": string(caPEM)}, errText: "read namespace"},
		{
			name: "in a pod", env: env,
			files: map[string]string{"token": "t", "ca.crt": string(caPEM), "namespace": "hnp\n"},
			want:  &Config{Host: "https://10.96.0.1:443", TokenFile: "token", CAFile: "ca.crt", Namespace: "hnp"},
		},
		{
			name: "IPv6 service host", env: map[string]string{"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"},
			files: map[string]string{"token": "t", "ca.crt": string(caPEM), "namespace": "hnp"},
			want:  &Config{Host: "https://[fd00::1]:6443", TokenFile: "token", CAFile: "ca.crt", Namespace: "hnp"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := inCluster(func(k string) string { return tt.env[k] }, dir)
			if tt.want == nil {
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("got %v, want an error (%v %q)", err, tt.wantErr, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.TokenFile = filepath.Join(dir, tt.want.TokenFile)
			tt.want.CAFile = filepath.Join(dir, tt.want.CAFile)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	cfg := &Config{Host: "https://k8s", TokenFile: "/nonexistent", Namespace: "hnp"}
	tests := []struct {
		name    string
		opts    Options
		errText string
	}{
		{"no config", Options{Name: "l"}, "no API server"},
		{"no name", Options{Config: cfg}, "namespace and name"},
		{"no namespace", Options{Config: &Config{Host: "https://k8s"}, Name: "l"}, "namespace and name"},
		{"renew not below lease", Options{Config: cfg, Name: "l", LeaseDuration: time.Second, RenewDeadline: time.Second}, "retry period"},
		{"retry not below renew", Options{Config: cfg, Name: "l", RenewDeadline: time.Second, RetryPeriod: time.Second}, "retry period"},
		{"negative retry", Options{Config: cfg, Name: "l", RetryPeriod: -time.Second}, "retry period"},
		{"bad CA", Options{Config: &Config{Host: "https://k8s", CAFile: "/nonexistent", Namespace: "n"}, Name: "l"}, "read CA"},
		{"defaults", Options{Config: cfg, Name: "l"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := New(tt.opts)
			if tt.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("got %v, want an error with %q", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []time.Duration{e.o.LeaseDuration, e.o.RenewDeadline, e.o.RetryPeriod}
			if diff := cmp.Diff([]time.Duration{DefaultLeaseDuration, DefaultRenewDeadline, DefaultRetryPeriod}, got); diff != "" {
				t.Errorf("defaults (-want +got):\n%s", diff)
			}
			host, _ := os.Hostname()
			if !strings.HasPrefix(e.Identity(), host+"_") || len(e.Identity()) != len(host)+9 {
				t.Errorf("identity %q, want %s_ and 8 hex digits", e.Identity(), host)
			}
			if e.o.Namespace != "hnp" {
				t.Errorf("namespace %q, want hnp from the config", e.o.Namespace)
			}
		})
	}
}

// TestClientAgainstFake pins the wire behaviour the elector relies on, and
// that the fake server really enforces it.
func TestClientAgainstFake(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, "hnp", "lease")
	f.accept("tok")
	cfg := f.config(t, "tok")
	e, err := New(Options{Config: cfg, Name: "lease", Identity: "me"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.c.http.CloseIdleConnections)
	ctx := context.Background()

	// Without a token: 401.
	resp, err := f.srv.Client().Get(f.srv.URL + e.c.leasePath())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: HTTP %d, want 401", resp.StatusCode)
	}

	if _, err := e.c.get(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get absent: %v, want ErrNotFound", err)
	}
	now := time.Date(2026, 11, 26, 6, 0, 0, 123456789, time.UTC)
	l := &lease{APIVersion: "coordination.k8s.io/v1", Kind: "Lease",
		Metadata: map[string]json.RawMessage{"name": jsonString("lease"), "labels": json.RawMessage(`{"app":"hnp-gitops"}`)},
		Spec:     leaseSpec{HolderIdentity: ptr("me"), LeaseDurationSeconds: ptr(seconds(300 * time.Millisecond)), RenewTime: microTime(now), Strategy: ptr("OldestEmulationVersion")}}
	created, err := e.c.create(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if got := *created.Spec.RenewTime; got != "2026-11-26T06:00:00.123456Z" {
		t.Errorf("renewTime %q, want microseconds in UTC", got)
	}
	if got := *created.Spec.LeaseDurationSeconds; got != 1 {
		t.Errorf("leaseDurationSeconds %d for 300ms, want 1", got)
	}
	if _, err := e.c.create(ctx, l); !errors.Is(err, ErrConflict) {
		t.Errorf("create twice: %v, want ErrConflict", err)
	}
	stale := *created
	if _, err := e.c.update(ctx, created); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.update(ctx, &stale); !errors.Is(err, ErrConflict) {
		t.Errorf("update with a stale resourceVersion: %v, want ErrConflict", err)
	}
	got, err := e.c.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Metadata["labels"]) != `{"app":"hnp-gitops"}` || *got.Spec.Strategy != "OldestEmulationVersion" {
		t.Errorf("fields the elector does not own were not kept: %s %v", got.Metadata["labels"], got.Spec.Strategy)
	}
	bad := *got
	bad.Spec.RenewTime = ptr(now.Format(time.RFC3339))
	var apiErr *APIError
	if _, err := e.c.update(ctx, &bad); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("renewTime without microseconds: %v, want HTTP 422 from the fake", err)
	}
}
