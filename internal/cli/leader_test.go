package cli

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/githedgehog/hnp-gitops/internal/config"
	"github.com/githedgehog/hnp-gitops/internal/leader"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// leaseAPI is the Kubernetes API server as far as one Lease goes: get,
// create, and update with the resourceVersion compare-and-swap.
type leaseAPI struct {
	mu    sync.Mutex
	token string
	lease map[string]any // nil until created
	rv    int
}

func (a *leaseAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+a.token {
		http.Error(w, `{"kind":"Status","code":401}`, http.StatusUnauthorized)
		return
	}
	var body map[string]any
	if r.Method != http.MethodGet {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	switch {
	case r.Method == http.MethodGet && a.lease == nil, r.Method == http.MethodPut && a.lease == nil:
		http.Error(w, `{"kind":"Status","code":404}`, http.StatusNotFound)
		return
	case r.Method == http.MethodPost && a.lease != nil:
		http.Error(w, `{"kind":"Status","code":409}`, http.StatusConflict)
		return
	case r.Method == http.MethodPut:
		md, _ := body["metadata"].(map[string]any)
		if md["resourceVersion"] != strconv.Itoa(a.rv) {
			http.Error(w, `{"kind":"Status","code":409}`, http.StatusConflict)
			return
		}
	}
	if body != nil {
		a.rv++
		md, _ := body["metadata"].(map[string]any)
		if md == nil {
			md = map[string]any{}
		}
		md["resourceVersion"] = strconv.Itoa(a.rv)
		body["metadata"] = md
		a.lease = body
	}
	if r.Method == http.MethodPost {
		w.WriteHeader(http.StatusCreated)
	}
	_ = json.NewEncoder(w).Encode(a.lease)
}

func (a *leaseAPI) holder() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	spec, _ := a.lease["spec"].(map[string]any)
	h, _ := spec["holderIdentity"].(string)
	return h
}

// With --leader-election, serve's resync runs once this replica holds the
// Lease: the Lease names it, the leader gauge says 1, and resync passes
// list the fabrics.
func TestResyncRunsUnderLeaderElection(t *testing.T) {
	t.Parallel()
	const nbToken = "0123456789abcdef0123456789abcdef0leader1"
	nb, err := netboxsim.Start(netboxsim.Options{Token: nbToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nb.Close() })
	api := &leaseAPI{token: "sa-token"}
	srv := httptest.NewTLSServer(api)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	tokenFile, caFile := filepath.Join(dir, "token"), filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(tokenFile, []byte("sa-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}

	var cfg config.Config
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--netbox-url=" + nb.URL(), "--netbox-token=" + nbToken, "--github-token=ghp_x",
		"--leader-election", "--leader-election-namespace=netbox", "--resync-interval=200ms", "--log-level=error"}); err != nil {
		t.Fatal(err)
	}
	a, err := newApp(&cfg, &Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	a.kubeConfig = func() (*leader.Config, error) {
		return &leader.Config{Host: srv.URL, TokenFile: tokenFile, CAFile: caFile, Namespace: "netbox"}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.runResync(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		lead := metricValue(t, a, "hnp_gitops_resync_leader")
		passed := metricValue(t, a, "hnp_gitops_resync_last_success_timestamp_seconds")
		if lead == 1 && passed > 0 && api.holder() != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no resync under leader election: leader %v, last pass %v, lease holder %q", lead, passed, api.holder())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metricValue reads one unlabelled gauge of the app's registry.
func metricValue(t *testing.T, a *app, name string) float64 {
	t.Helper()
	families, err := a.metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}
