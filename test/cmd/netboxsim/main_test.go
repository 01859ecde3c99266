package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/githedgehog/hnp-gitops/test/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	defer recv.Close()
	env := map[string]string{"NETBOXSIM_TOKEN": "tok", "NETBOXSIM_VERSION": "4.6", "NETBOXSIM_WEBHOOK_URL": recv.URL + "/webhooks/netbox"}
	pr, pw := io.Pipe()
	var stderr testkit.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--setup", "--repo-url", "https://github.com/o/r.git", "--fabrics", "3", "--nested-fks"},
			func(k string) string { return env[k] }, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v (stderr %s)", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(line)
	client := &http.Client{Timeout: 5 * time.Second}
	get := func(path string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Token tok")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if v := get("/api/status/")["netbox-version"]; v != "4.6.0" {
		t.Errorf("version from the environment: %v", v)
	}
	fabrics := get("/api/plugins/hedgehog/fabrics/")
	if fabrics["count"] != 3.0 {
		t.Fatalf("fabrics = %v", fabrics)
	}
	f := fabrics["results"].([]any)[0].(map[string]any)
	if _, nested := f["git_repository"].(map[string]any); !nested {
		t.Errorf("--nested-fks: git_repository = %v", f["git_repository"])
	}
	if _, ok := f["custom_fields"].(map[string]any)["gitops_directory_status"]; !ok {
		t.Errorf("--setup: custom_fields = %v", f["custom_fields"])
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(stderr.String(), "netboxsim: webhook created netbox_hedgehog.hedgehogfabric") < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for strings.Count(stderr.String(), "-> POST "+recv.URL+"/webhooks/netbox: 202") < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// The seeded repository's "created" event and one per fabric.
	if n := strings.Count(stderr.String(), "-> POST "+recv.URL+"/webhooks/netbox: 202"); n != 4 ||
		strings.Count(stderr.String(), "netboxsim: webhook created netbox_hedgehog.gitrepository") != 1 {
		t.Errorf("%d delivery lines, want 4 (one repository, three fabrics):\n%s", n, stderr.String())
	}
	stats := get("/_sim/stats")
	if _, ok := stats["requests"]; !ok {
		t.Errorf("/_sim/stats = %v", stats)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no token", nil, "--token"},
		{"fabrics without repo", []string{"--token", "x", "--fabrics", "2"}, "--repo-url"},
		{"bad route", []string{"--token", "x", "--error-rate", "0.1", "--fault-routes", "nope"}, "unknown route"},
		{"bad version", []string{"--token", "x", "--version", "3.1", "--listen", "127.0.0.1:0"}, "only NetBox 4.x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, func(string) string { return "" }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestFaultFlags(t *testing.T) {
	env := map[string]string{"NETBOXSIM_DELIVERY_LATENCY": "2s"}
	c, err := parse([]string{"--token", "x", "--error-rate", "0.2", "--fault-routes", "fabric-get, status", "--latency", "5ms", "--fault-after-apply"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	f := c.opts.Faults
	if f.Latency != 5*time.Millisecond || f.DeliveryLatency != 2*time.Second || len(f.Routes) != 2 || f.Routes["fabric-get"].ErrorRate != 0.2 || f.Routes["status"].ErrorStatus != 500 || !f.Routes["status"].AfterApply {
		t.Errorf("faults = %+v", f)
	}
}
