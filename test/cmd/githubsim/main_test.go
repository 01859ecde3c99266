package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/test/testkit"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut testkit.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--data-dir", t.TempDir(), "--token", "tok", "--repo", "o/r:private", "--latency-ms", "1", "--contract", testkit.ModuleRoot(t)}, &out, &errOut)
	}()
	var base string
	for i := 0; i < 200 && base == ""; i++ {
		if s := out.String(); strings.Contains(s, "listening on ") {
			base = strings.Fields(strings.SplitN(s, "listening on ", 2)[1])[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	if base == "" {
		t.Fatalf("no listening line; stderr: %s", errOut.String())
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/repos/o/r", nil)
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var repo struct {
		Private       bool   `json:"private"`
		DefaultBranch string `json:"default_branch"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&repo)
	resp.Body.Close()
	if resp.StatusCode != 200 || !repo.Private || repo.DefaultBranch != "main" {
		t.Errorf("GET repo = %d %+v", resp.StatusCode, repo)
	}
	resp, err = http.Get(base + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Requests map[string]int `json:"requests"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Requests["GET /repos/{owner}/{repo}"] != 1 {
		t.Errorf("stats = %+v", st)
	}
	http.DefaultClient.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if want := "GitHub contract: 1 exchanges validated, 0 findings"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
}

func TestRunNeedsDataDir(t *testing.T) {
	var out, errOut testkit.SyncBuffer
	if err := run(context.Background(), nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("run without --data-dir = %v", err)
	}
}
