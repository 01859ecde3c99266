package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/cli"
	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// nothingQueued waits past the batch window and asserts that the service
// neither read a fabric from NetBox nor called GitHub.
func nothingQueued(t *testing.T, s *stack) {
	t.Helper()
	time.Sleep(500 * time.Millisecond)
	if n := s.fabricGets(); n != 0 {
		t.Errorf("the service read a fabric %d times, want nothing queued", n)
	}
	if n := s.env.GitHub.Stats().Total(); n != 0 {
		t.Errorf("the service made %d GitHub requests, want none", n)
	}
	if d := s.metric(t, "hnp_gitops_queue_depth", ""); d != 0 {
		t.Errorf("queue depth %v, want 0", d)
	}
}

// directFabric creates a fabric without any webhook, so only what a row
// sends can queue it.
func directFabric(t *testing.T, s *stack) netboxsim.Fabric {
	t.Helper()
	repoID, _ := s.repo(t, "quiet", nil)
	f, err := s.env.NetBox.CreateFabricDirect(netboxsim.Fabric{Name: "quiet", GitRepository: repoID, GitOpsDirectory: "/fgd/"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBadInputWebhook: the rows of the security table about the webhook itself.
func TestBadInputWebhook(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name string
		run  func(t *testing.T, s *stack)
	}{
		{"missing X-Hook-Signature: 401, nothing queued", func(t *testing.T, s *stack) {
			f := directFabric(t, s)
			code, ans := s.post(t, bytes.NewReader(event(t, "updated", fabricType, f.ID, nil, nil)), "")
			if code != http.StatusUnauthorized || !strings.Contains(ans, "missing signature") {
				t.Errorf("answer %d %s, want 401 missing signature", code, ans)
			}
			nothingQueued(t, s)
			if n := s.metric(t, "hnp_gitops_webhook_deliveries_total", `result="bad_signature"`); n != 1 {
				t.Errorf("bad_signature deliveries counted %v, want 1", n)
			}
		}},
		{"wrong X-Hook-Signature: 401, nothing queued", func(t *testing.T, s *stack) {
			f := directFabric(t, s)
			body := event(t, "updated", fabricType, f.ID, nil, nil)
			for _, sig := range []string{
				netboxhook.Sign([]byte("not-the-secret"), body),
				netboxhook.Sign([]byte(harness.WebhookSecret), append(body, ' ')), // another body's
				"sha512=" + strings.Repeat("0", 128),
				strings.Repeat("z", 4096),
			} {
				code, ans := s.post(t, bytes.NewReader(body), sig)
				if code != http.StatusUnauthorized || !strings.Contains(ans, "bad signature") {
					t.Errorf("answer %d %s, want 401 bad signature", code, ans)
				}
			}
			nothingQueued(t, s)
		}},
		{"body over 1 MiB: 413, with or without Content-Length", func(t *testing.T, s *stack) {
			f := directFabric(t, s)
			body := event(t, "updated", fabricType, f.ID, nil, nil)
			big := append(bytes.Repeat([]byte(" "), 1<<20), body...) // valid JSON, signed
			sig := netboxhook.Sign([]byte(harness.WebhookSecret), big)
			if code, ans := s.post(t, bytes.NewReader(big), sig); code != http.StatusRequestEntityTooLarge {
				t.Errorf("with Content-Length: %d %s, want 413", code, ans)
			}
			chunked := io.MultiReader(bytes.NewReader(big)) // hides the length: sent chunked
			if code, ans := s.post(t, chunked, sig); code != http.StatusRequestEntityTooLarge {
				t.Errorf("chunked: %d %s, want 413", code, ans)
			}
			nothingQueued(t, s)
		}},
		{"not JSON or wrong shape: 400 with a one-line reason", func(t *testing.T, s *stack) {
			for _, body := range []string{
				"this is not JSON",
				"",
				"[]",
				`{"event":"updated"}`,
				`{"event":"updated","timestamp":"2026-01-01T00:00:00+00:00","model":"hedgehogfabric","username":"admin","request_id":null,"data":{"id":"seven"}}`,
				`{"event":"updated","timestamp":"2026-01-01T00:00:00+00:00","model":"hedgehogfabric","username":"admin","request_id":null,"data":[]}`,
				`{"event":"updated","timestamp":"yesterday","model":"hedgehogfabric","username":"admin","request_id":null,"data":{"id":1}}`,
				strings.Repeat("[", 500000) + strings.Repeat("]", 500000),
				"{\"event\":\"upd\xffated\"}",
			} {
				code, ans := s.postSigned(t, []byte(body))
				var e struct{ Error string }
				_ = json.Unmarshal([]byte(ans), &e)
				if code != http.StatusBadRequest || e.Error == "" || !oneLine(e.Error) || len(e.Error) > 300 {
					t.Errorf("body %.60q: answer %d %.400s, want 400 with a one-line reason", body, code, ans)
				}
			}
			nothingQueued(t, s)
		}},
		{"other object types and events: 202, ignored, counted", func(t *testing.T, s *stack) {
			f := directFabric(t, s)
			for _, body := range [][]byte{
				event(t, "updated", "dcim.device", f.ID, nil, nil),
				event(t, "created", "netbox_hedgehog.gitrepository", f.ID, nil, nil),
				event(t, "deleted", fabricType, f.ID, map[string]any{"name": "quiet"}, nil),
			} {
				code, ans := s.postSigned(t, body)
				if code != http.StatusAccepted || !strings.Contains(ans, `"ignored"`) {
					t.Errorf("answer %d %s, want 202 ignored", code, ans)
				}
			}
			nothingQueued(t, s)
			// NetBox's own "created" event for the repository directFabric
			// made is ignored too (a new repository has no fabric yet).
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := s.env.NetBox.WaitDeliveries(ctx, 1); err != nil {
				t.Fatal(err)
			}
			want := 3 + len(s.env.NetBox.Deliveries())
			if n := s.metric(t, "hnp_gitops_webhook_deliveries_total", `result="ignored"`); n != float64(want) {
				t.Errorf("ignored deliveries counted %v, want %d (3 posted, %d from NetBox)", n, want, want-3)
			}
		}},
		{"own status write coming back: no commit, no further status write", func(t *testing.T, s *stack) {
			repoID, bare := s.repo(t, "own", nil)
			f := s.fabric(t, "own", repoID, "/fgd/")
			s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
			// Let NetBox deliver the webhooks of the status writes.
			for end := time.Now().Add(10 * time.Second); s.env.NetBox.Stats().DeliveriesPending > 0 && time.Now().Before(end); {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(time.Second)
			commits, writes := git(t, bare, "rev-list", "--count", "main"), len(s.env.NetBox.PatchLog(f.ID))
			self := s.metric(t, "hnp_gitops_webhook_deliveries_total", `result="self"`)
			if self < 1 {
				t.Errorf("no delivery was recognised as the service's own write (self = %v)", self)
			}
			// The same write, as another replica's (an unknown request id).
			cur, _ := s.env.NetBox.Fabric(f.ID)
			pre := map[string]any{"name": "own", "custom_fields": map[string]any{status.FieldStatus: "initializing"}}
			post := map[string]any{"name": "own", "custom_fields": map[string]any{status.FieldStatus: string(harness.FabricStatus(cur))}}
			code, ans := s.postSigned(t, event(t, "updated", fabricType, f.ID, pre, post))
			if code != http.StatusAccepted || !strings.Contains(ans, `"self"`) {
				t.Errorf("status-only update: %d %s, want 202 self", code, ans)
			}
			time.Sleep(time.Second)
			if got := git(t, bare, "rev-list", "--count", "main"); got != commits || got != "2" {
				t.Errorf("commits on main: %s, then %s; want 2 and no more", commits, got)
			}
			if got := len(s.env.NetBox.PatchLog(f.ID)); got != writes {
				t.Errorf("status writes: %d, then %d; want no further write", writes, got)
			}
		}},
		{"webhook for a fabric that does not exist: no GitHub call, no write, still ready", func(t *testing.T, s *stack) {
			const missing = 424242
			code, ans := s.postSigned(t, event(t, "updated", fabricType, missing, nil, nil))
			if code != http.StatusAccepted {
				t.Errorf("answer %d %s, want 202 (the service re-reads NetBox to decide)", code, ans)
			}
			end := time.Now().Add(10 * time.Second)
			for s.fabricGets() == 0 && time.Now().Before(end) {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(500 * time.Millisecond)
			st := s.env.NetBox.Stats()
			if st.Responses[http.StatusNotFound] == 0 {
				t.Errorf("NetBox answered no 404: the fabric was never looked up (responses %v)", st.Responses)
			}
			for k, v := range st.Requests {
				if strings.HasPrefix(k, "PATCH ") || strings.HasPrefix(k, "PUT ") {
					t.Errorf("%d × %s, want no write", v, k)
				}
			}
			if n := s.env.GitHub.Stats().Total(); n != 0 {
				t.Errorf("%d GitHub requests, want none", n)
			}
			if err := s.svc.WaitReady(context.Background()); err != nil {
				t.Error(err)
			}
			if !strings.Contains(s.svc.Logs(), "424242") {
				t.Errorf("no log line names fabric %d", missing)
			}
		}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			r.run(t, newStack(t))
		})
	}
}

// TestBadInputStartWithoutSecret: serve refuses to start without a webhook secret
// unless --insecure-skip-signature is given, and then accepts unsigned
// deliveries.
func TestBadInputStartWithoutSecret(t *testing.T) {
	t.Parallel()
	env, err := harness.Start(harness.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	var args []string
	for _, a := range env.ServeArgs(edgeArgs...) {
		if !strings.HasPrefix(a, "--webhook-secret=") {
			args = append(args, a)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := cli.Run(ctx, args, cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code == 0 || ctx.Err() != nil {
		t.Fatalf("serve without a webhook secret: exit %d (context %v), want a refusal", code, ctx.Err())
	}
	msg := errb.String()
	if !strings.Contains(msg, "webhook-secret") || !strings.Contains(msg, "insecure-skip-signature") {
		t.Errorf("refusal does not name --webhook-secret and --insecure-skip-signature:\n%s", msg)
	}
	if line, leaked := harness.ScanLines(strings.NewReader(msg+out.String()), harness.Secrets); leaked {
		t.Errorf("a secret leaked: %s", line)
	}

	svc, err := harness.StartInProcess(context.Background(), append(args, "--insecure-skip-signature"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if code := svc.Stop(30 * time.Second); code != 0 {
			t.Errorf("serve exited %d", code)
		}
	}()
	if err := svc.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(svc.Logs()), "insecure") {
		t.Errorf("serve with --insecure-skip-signature does not warn about it")
	}
	body := event(t, "updated", "dcim.device", 1, nil, nil)
	resp, err := http.Post(svc.HTTPURL+"/webhooks/netbox", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("unsigned delivery with --insecure-skip-signature: %d, want 202", resp.StatusCode)
	}
}
