package e2e

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestAutomationAPI: a fabric made without any webhook (as a script would)
// is reconciled through POST /api/v1/fabrics/{id}/reconcile, and GET
// /api/v1/fabrics/{id} answers its last result; both need the bearer token.
func TestAutomationAPI(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	repoID, bare := s.newRepo(t)
	f, err := s.env.NetBox.CreateFabricDirect(netboxsim.Fabric{Name: "fabric-1", GitRepository: repoID, GitOpsDirectory: fgdPath})
	if err != nil {
		t.Fatal(err)
	}
	base := s.svc.HTTPURL + "/api/v1/fabrics/" + strconv.FormatInt(f.ID, 10)
	call := func(method, url, token string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, drain(resp)
	}

	for _, tc := range []struct{ method, url, token string }{
		{http.MethodPost, base + "/reconcile", ""},
		{http.MethodPost, base + "/reconcile", "wrong-token"},
		{http.MethodGet, base, ""},
		{http.MethodGet, base, harness.WebhookSecret},
	} {
		if code, body := call(tc.method, tc.url, tc.token); code != http.StatusUnauthorized {
			t.Errorf("%s %s with token %q: %d %s, want 401", tc.method, tc.url, tc.token, code, body)
		}
	}
	if code, body := call(http.MethodGet, base, harness.APIToken); code != http.StatusNotFound {
		t.Errorf("GET before any reconcile: %d %s, want 404", code, body)
	}
	if code, body := call(http.MethodPost, s.svc.HTTPURL+"/api/v1/fabrics/x/reconcile", harness.APIToken); code != http.StatusBadRequest {
		t.Errorf("POST with a bad id: %d %s, want 400", code, body)
	}
	// Nothing was queued by the refused calls.
	time.Sleep(300 * time.Millisecond)
	if st := harness.FabricStatus(mustFabric(t, s, f.ID)); st == status.Initializing || st == status.Initialized {
		t.Fatalf("status %q: a refused call queued the fabric", st)
	}

	code, body := call(http.MethodPost, base+"/reconcile", harness.APIToken)
	if code != http.StatusAccepted || !strings.Contains(body, `"queued"`) {
		t.Fatalf("POST reconcile: %d %s, want 202 queued", code, body)
	}
	s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	head := s.git(t, bare, "rev-parse", "main")

	var res struct {
		FabricID  int64          `json:"fabric_id"`
		Result    string         `json:"result"`
		Status    string         `json:"status"`
		CommitURL string         `json:"commit_url"`
		Changes   int            `json:"changes"`
		Placed    map[string]int `json:"placed"`
		Error     string         `json:"error"`
	}
	eventually(t, 5*time.Second, "GET never answered the committed result", func() bool {
		code, body = call(http.MethodGet, base, harness.APIToken)
		return code == http.StatusOK && json.Unmarshal([]byte(body), &res) == nil && res.Result == "committed"
	})
	if res.FabricID != f.ID || res.Status != string(status.Initialized) || !strings.HasSuffix(res.CommitURL, "/commit/"+head) || res.Error != "" {
		t.Errorf("GET result %s, want fabric %d initialized at commit %s without error", body, f.ID, head)
	}
	total := 0
	for _, n := range res.Placed {
		total += n
	}
	if total != 48 || res.Changes == 0 {
		t.Errorf("GET result placed %v (%d documents), changes %d; want the 48 CRs placed", res.Placed, total, res.Changes)
	}
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2", n)
	}
}

// TestProbesAndMetrics: /healthz and /readyz on the main listener; metrics
// only on their own listener, with the service's series and no secret.
func TestProbesAndMetrics(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, drain(resp)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := get(s.svc.HTTPURL + p); code != http.StatusOK {
			t.Errorf("%s: %d %s, want 200", p, code, body)
		}
	}
	if code, _ := get(s.svc.HTTPURL + "/metrics"); code == http.StatusOK {
		t.Errorf("/metrics answers on the webhook listener, want it on its own port only")
	}
	code, body := get(s.svc.MetricsURL + "/metrics")
	if code != http.StatusOK {
		t.Fatalf("metrics: %d", code)
	}
	for _, series := range []string{"hnp_gitops_build_info", "hnp_gitops_webhook_deliveries_total", "hnp_gitops_reconciles_total", "go_goroutines"} {
		if !strings.Contains(body, series) {
			t.Errorf("metrics lack %s", series)
		}
	}
	if line, leaked := harness.ScanLines(strings.NewReader(body), harness.Secrets); leaked {
		t.Errorf("a secret in the metrics: %s", line)
	}
}
