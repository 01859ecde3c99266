package e2e

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
)

// TestSIGTERMDuringWork runs the built binary as a process, slows GitHub
// down so that a reconcile is in flight, and sends SIGTERM: the process
// exits 0 within its shutdown bound. Restarted, it completes the fabric in
// one commit.
func TestSIGTERMDuringWork(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	const bound = 2 * time.Second
	s := startEnv(t, harness.Options{})
	args := s.env.ServeArgs("--shutdown-timeout=" + bound.String())
	first := startBinary(t, bin, args, nil)
	s.setup(t, first.HTTPURL)
	repoID, bare := s.newRepo(t)
	s.env.GitHub.SetFaults(githubsim.Faults{LatencyMS: 300})
	f := s.createFabric(t, "fabric-1", repoID, fgdPath)
	// In flight: the fabric shows initializing and GitHub has been asked.
	s.waitStatus(t, f.ID, status.Initializing, 15*time.Second)
	eventually(t, 10*time.Second, "no GitHub request in flight", func() bool { return s.env.GitHub.Stats().Total() > 0 })

	start := time.Now()
	code := first.Stop(bound + 3*time.Second)
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("exit code %d after SIGTERM (-1: still running %s after it), want 0; logs:\n%s", code, bound+3*time.Second, first.Logs())
	}
	if took > bound+time.Second {
		t.Errorf("exited %s after SIGTERM, above the %s bound (+1s)", took, bound)
	}
	logs := first.Logs()
	// Ten or so GitHub requests at 300ms each cannot finish within the
	// bound: the reconcile was in flight and was cancelled at the bound.
	if !strings.Contains(logs, "drain timeout, cancelling in-flight reconciles") {
		t.Errorf("no in-flight reconcile was cancelled at the bound:\n%s", logs)
	}
	if !strings.Contains(logs, `"stopped cleanly"`) {
		t.Errorf("no clean stop in the logs:\n%s", logs)
	}
	if n := s.commits(t, bare); n != 1 {
		t.Fatalf("commits on main after the abandoned run: %d, want 1 (the in-flight reconcile was not meant to finish)", n)
	}
	t.Logf("exited 0 %s after SIGTERM (bound %s); fabric status then %q",
		took.Round(time.Millisecond), bound, harness.FabricStatus(mustFabric(t, s, f.ID)))

	s.env.GitHub.SetFaults(githubsim.Faults{})
	second := startBinary(t, bin, args, nil)
	got := s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2 (one commit once restarted)", n)
	}
	head := s.git(t, bare, "rev-parse", "main")
	if u, _ := got.CustomFields[status.FieldCommitURL].(string); !strings.HasSuffix(u, "/commit/"+head) {
		t.Errorf("gitops_commit_url %q, want the head %s", u, head)
	}
	if code := second.Stop(bound + 3*time.Second); code != 0 {
		t.Errorf("the restarted service exited %d, want 0", code)
	}
	for _, svc := range []*harness.Service{first, second} {
		if line, leaked := harness.ScanLines(strings.NewReader(svc.Logs()), harness.Secrets); leaked {
			t.Errorf("a secret leaked into the logs: %s", line)
		}
	}
	s.noSecrets(t, bare)
}

// startBinary starts the binary as a process, with env added to its
// environment; the test's end kills it if it is still running.
func startBinary(t *testing.T, bin string, args, env []string) *harness.Service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc, err := harness.StartProcessEnv(ctx, bin, args, env)
	if err != nil {
		if svc != nil {
			svc.Kill()
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if svc.Wait(50*time.Millisecond) == -1 {
			svc.Kill()
		}
		if t.Failed() {
			t.Logf("serve logs:\n%s", svc.Logs())
		}
	})
	if err := svc.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestSIGTERMLetsWorkFinish: a reconcile in flight when SIGTERM comes, and
// able to finish within the bound, finishes: the fabric is initialized by
// the time the process has exited 0, well before the bound.
func TestSIGTERMLetsWorkFinish(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	const bound = 15 * time.Second
	s := startEnv(t, harness.Options{})
	svc := startBinary(t, bin, s.env.ServeArgs("--shutdown-timeout="+bound.String()), nil)
	s.setup(t, svc.HTTPURL)
	repoID, bare := s.newRepo(t)
	s.env.GitHub.SetFaults(githubsim.Faults{LatencyMS: 100})
	f := s.createFabric(t, "fabric-1", repoID, fgdPath)
	s.waitStatus(t, f.ID, status.Initializing, 15*time.Second)
	start := time.Now()
	if code := svc.Stop(bound + 3*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	took := time.Since(start)
	if st := harness.FabricStatus(mustFabric(t, s, f.ID)); st != status.Initialized {
		t.Errorf("status %q after the drain, want initialized", st)
	}
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2", n)
	}
	if took >= bound {
		t.Errorf("exited %s after SIGTERM: the drain waited for the bound, not for the work", took)
	}
	if strings.Contains(svc.Logs(), "drain timeout") {
		t.Errorf("the in-flight reconcile was cancelled instead of finishing")
	}
	t.Logf("drained and exited 0 %s after SIGTERM", took.Round(time.Millisecond))
}

// TestSIGTERMDrainKeepsAcceptingWebhooks: after SIGTERM /readyz answers 503
// at once, so that Kubernetes takes the pod out of its endpoints, while
// webhooks still get 202 for the drain period (NetBox does not retry a
// delivery that fails); then the process exits 0 within drain plus the
// shutdown bound.
func TestSIGTERMDrainKeepsAcceptingWebhooks(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	const drain, bound = 2 * time.Second, 2 * time.Second
	s := startEnv(t, harness.Options{})
	svc := startBinary(t, bin, s.env.ServeArgs("--drain-period="+drain.String(), "--shutdown-timeout="+bound.String()), nil)
	body := []byte(`{"event": "updated", "timestamp": "2026-12-04T14:00:00.000000+00:00", "model": "hedgehogfabric", "username": "admin", "request_id": "5a7e7a3c-8f1e-4c55-9c36-3a0d2f3c1b7e", "data": {"id": 4242, "name": "f"}, "snapshots": {"prechange": null, "postchange": null}}`)
	post := func() int {
		req, _ := http.NewRequest(http.MethodPost, svc.HTTPURL+"/webhooks/netbox", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hook-Signature", netboxhook.Sign([]byte(harness.WebhookSecret), body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(); code != http.StatusAccepted {
		t.Fatalf("webhook before SIGTERM: %d, want 202", code)
	}
	start := time.Now()
	svc.Terminate()
	eventually(t, time.Second, "/readyz answers 503 after SIGTERM", func() bool {
		resp, err := http.Get(svc.HTTPURL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	accepted := 0
	for time.Since(start) < drain-500*time.Millisecond {
		if code := post(); code != http.StatusAccepted {
			t.Fatalf("webhook %s into the drain: %d, want 202", time.Since(start).Round(time.Millisecond), code)
		}
		accepted++
		time.Sleep(100 * time.Millisecond)
	}
	code := svc.Wait(drain + bound + 3*time.Second)
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	if took > drain+bound+time.Second {
		t.Errorf("exited %s after SIGTERM, above drain %s + bound %s (+1s)", took, drain, bound)
	}
	t.Logf("%d webhooks accepted during the drain; exited 0 %s after SIGTERM", accepted, took.Round(time.Millisecond))
}
