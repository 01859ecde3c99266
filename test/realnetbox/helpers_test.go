package realnetbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

var httpClient = &http.Client{Timeout: 30 * time.Second}

// adminREST calls HNP's REST API under /api/plugins/hedgehog/ with the
// superuser's token, as a user's script would. It returns the status and
// the body.
func (s *suite) adminREST(t *testing.T, method, rel string, body any) (int, string) {
	t.Helper()
	return s.adminAPI(t, method, "plugins/hedgehog/"+rel, body)
}

// adminAPI calls NetBox's REST API under /api/ with the superuser's token.
func (s *suite) adminAPI(t *testing.T, method, rel string, body any) (int, string) {
	t.Helper()
	req := testkit.JSONRequest(t, s.ctx, method, s.tg.url+"/api/"+rel, "Token "+s.tg.adminToken, body)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rel, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, readAll(resp.Body)
}

// fabric is what the shared cases read of a fabric.
type fabric struct {
	ID           int64          `json:"id"`
	CustomFields map[string]any `json:"custom_fields"`
}

// status reads the status field in either form NetBox gives it (HNP: a
// plain string; NetBox's own select: {value, label}).
func (f fabric) status() status.Status {
	return harness.FabricStatus(netboxsim.Fabric{CustomFields: f.CustomFields})
}

func (s *suite) waitFabricStatus(t *testing.T, id int64, want status.Status, d time.Duration) fabric {
	t.Helper()
	var f fabric
	eventually(t, d, fmt.Sprintf("fabric %d shows %s", id, want), func() bool {
		code, body := s.adminREST(t, http.MethodGet, fmt.Sprintf("fabrics/%d/", id), nil)
		f = fabric{}
		return code == http.StatusOK && json.Unmarshal([]byte(body), &f) == nil && f.status() == want
	})
	return f
}

// result is the service's own record of a fabric's last reconcile.
type result struct {
	Result           string    `json:"result"`
	Status           string    `json:"status"`
	Error            string    `json:"error"`
	StatusWriteError string    `json:"status_write_error"`
	Time             time.Time `json:"time"`
}

// serviceAPI calls the service's own API with its API token.
func (s *suite) serviceAPI(t *testing.T, method, p string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(s.ctx, method, s.svc.HTTPURL+p, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, p, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, readAll(resp.Body)
}

func (s *suite) waitResult(t *testing.T, id int64, ok func(result) bool, d time.Duration) result {
	t.Helper()
	var r result
	eventually(t, d, fmt.Sprintf("the service's result for fabric %d", id), func() bool {
		code, body := s.serviceAPI(t, http.MethodGet, fmt.Sprintf("/api/v1/fabrics/%d", id))
		r = result{}
		return code == http.StatusOK && json.Unmarshal([]byte(body), &r) == nil && ok(r)
	})
	return r
}

// reconcileNow queues a reconcile of a fabric through the service's API.
func (s *suite) reconcileNow(t *testing.T, id int64) {
	t.Helper()
	if code, body := s.serviceAPI(t, http.MethodPost, fmt.Sprintf("/api/v1/fabrics/%d/reconcile", id)); code != http.StatusAccepted {
		t.Fatalf("reconcile: %d %s", code, body)
	}
}

// metric reads one series of the service's /metrics (0 when absent).
func (s *suite) metric(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := httpClient.Get(s.svc.MetricsURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, line := range strings.Split(readAll(resp.Body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: not yet: %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sign is NetBox's X-Hook-Signature: hex HMAC-SHA512 of the body.
func sign(secret, body []byte) string {
	m := hmac.New(sha512.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// delivery is one webhook request as NetBox's worker sent it.
type delivery struct {
	Header http.Header `json:"headers"`
	Body   []byte      `json:"-"`
	// parsed from Body
	Event string    `json:"-"`
	Model string    `json:"-"`
	ID    int64     `json:"-"`
	at    time.Time // when the proxy received it
}

// webhookProxy stands between NetBox's webhook and the service: it keeps
// every delivery (the real bytes, for the payload tests) and forwards it.
type webhookProxy struct {
	url string
	mu  sync.Mutex
	to  string
	got []delivery
	rec func(delivery)
}

func startProxy(t *testing.T, rec func(delivery)) *webhookProxy {
	p := &webhookProxy{rec: rec}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *webhookProxy) setTarget(u string) { p.mu.Lock(); p.to = u; p.mu.Unlock() }

func (p *webhookProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	d := delivery{Header: r.Header.Clone(), Body: body, at: time.Now()}
	var env struct {
		Event string `json:"event"`
		Model string `json:"model"`
		Data  struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &env) == nil {
		d.Event, d.Model, d.ID = env.Event, env.Model, env.Data.ID
	}
	p.mu.Lock()
	p.got = append(p.got, d)
	to := p.to
	p.mu.Unlock()
	if p.rec != nil {
		p.rec(d)
	}
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, to+r.URL.Path, bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := httpClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// waitDeliveryAfter waits for a delivery of event on fabric id received
// after since.
func (p *webhookProxy) waitDeliveryAfter(t *testing.T, id int64, event string, since time.Time, d time.Duration) delivery {
	t.Helper()
	var found delivery
	eventually(t, d, fmt.Sprintf("a %s webhook for fabric %d", event, id), func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, x := range p.got {
			if x.Model == "hedgehogfabric" && x.ID == id && x.Event == event && !x.at.Before(since) {
				found = x
				return true
			}
		}
		return false
	})
	return found
}

// any returns one delivery seen so far.
func (p *webhookProxy) any() (delivery, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.got) == 0 {
		return delivery{}, false
	}
	return p.got[0], true
}

// recordedDir holds webhook deliveries NetBox 4.3.7's worker sent for HNP
// fabrics, recorded by the real suite (-realnetbox.record).
const recordedDir = "../../testdata/real-netbox/webhooks"

// recordedDelivery returns the first recorded delivery.
func recordedDelivery(t *testing.T) delivery {
	t.Helper()
	ds := recordedDeliveries(t)
	if len(ds) == 0 {
		t.Fatalf("no recorded deliveries in %s (run `make test-real RECORD=1`)", recordedDir)
	}
	return ds[0]
}

// recordedDeliveries reads every <name>.json (headers) and <name>.body
// pair of recordedDir, in name order.
func recordedDeliveries(t *testing.T) []delivery {
	t.Helper()
	entries, err := os.ReadDir(recordedDir)
	if err != nil {
		t.Fatalf("recorded deliveries: %v", err)
	}
	var out []delivery
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		var d delivery
		hb, err := os.ReadFile(filepath.Join(recordedDir, e.Name()))
		if err == nil {
			err = json.Unmarshal(hb, &d)
		}
		if err == nil {
			d.Body, err = os.ReadFile(filepath.Join(recordedDir, base+".body"))
		}
		if err != nil {
			t.Fatalf("recorded delivery %s: %v", base, err)
		}
		out = append(out, d)
	}
	return out
}

func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}
