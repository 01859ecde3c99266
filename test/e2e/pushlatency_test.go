package e2e

import (
	"flag"
	"fmt"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
)

var (
	pushLatencyN      = flag.Int("push-latency-pushes", 20, "pushes TestPushToCommitLatency makes, one after another")
	pushLatencyP50Max = flag.Duration("push-latency-p50-max", 2*time.Second, "TestPushToCommitLatency fails when its p50 is above this (the issue's goal)")
)

// TestPushToCommitLatency measures, with the periodic resync off and
// serve's default batch window (250ms), the time from a push of one new
// file into a fabric's raw/ on the GitHub emulator (SeedFiles returning;
// the emulator then delivers the signed push webhook) to the service's
// commit that moves it into managed/ being on the branch (the head polled
// every 2ms). One fabric with the user's fixture (48 CRs) in its FGD.
// `make bench` reports it:
//
//	go test -count=1 -v -run TestPushToCommitLatency ./test/e2e -push-latency-pushes=20
func TestPushToCommitLatency(t *testing.T) {
	n := *pushLatencyN
	if n < 1 {
		t.Fatalf("-push-latency-pushes=%d: want at least 1", n)
	}
	// The GitHub contract check runs (it validates after answering, so it
	// adds no latency to what is timed).
	s := startEnv(t, harness.Options{GitHub: githubsim.Options{
		PushWebhook: &githubsim.PushWebhook{Secret: harness.GitWebhookSecret},
	}})
	s.startService(t, "--resync-interval=1h", "--batch-window=250ms", "--git-webhook-secret="+harness.GitWebhookSecret)
	s.setup(t, s.svc.HTTPURL)
	gh := s.env.GitHub
	gh.SetPushWebhookURL(s.svc.HTTPURL + "/webhooks/git")
	s.initFabric(t)
	lat := make([]time.Duration, 0, n)
	for i := range n {
		// The next push starts on a quiet service.
		if !gh.WaitHooks(10 * time.Second) {
			t.Fatal("deliveries pending")
		}
		name := fmt.Sprintf("push-vpc-%d", i+1)
		seed, err := gh.SeedFiles(harness.Owner, "fabric-config", "main", map[string][]byte{path.Join(fgdPath, "raw", name+".yaml"): hookVPC(name)}, "Add "+name)
		if err != nil {
			t.Fatal(err)
		}
		pushed := time.Now()
		deadline := pushed.Add(30 * time.Second)
		for {
			h, err := gh.Head(harness.Owner, "fabric-config", "main")
			if err != nil {
				t.Fatal(err)
			}
			if h != seed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("push %d: no commit 30s after it", i+1)
			}
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, time.Since(pushed))
	}
	if !gh.WaitHooks(10 * time.Second) {
		t.Fatal("deliveries pending")
	}
	if got := metric(t, s.svc, `hnp_gitops_git_webhook_deliveries_total{host="github",result="self"}`); got < float64(n) {
		t.Errorf("own pushes ignored: %v, want at least %d", got, n)
	}
	t.Logf("in push order: %v", roundAll(lat))
	p50, p90, maxd := percentile(lat, 50), percentile(lat, 90), slices.Max(lat)
	t.Logf("push -> commit over %d pushes, batch window 250ms, resync off: p50 %s, p90 %s, max %s",
		n, p50.Round(time.Millisecond), p90.Round(time.Millisecond), maxd.Round(time.Millisecond))
	switch {
	case raceEnabled:
		t.Logf("built with -race: the p50 bound is not checked")
	case *pushLatencyP50Max > 0 && p50 > *pushLatencyP50Max:
		t.Errorf("p50 %s, above -push-latency-p50-max=%s", p50, *pushLatencyP50Max)
	}
}
