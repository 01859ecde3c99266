package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const (
	setupTestToken  = "feedfacefeedfacefeedfacefeedfacefeedface"
	setupTestSecret = "hook-secret-for-the-cli-test"
)

// tinyNetBox is just enough NetBox for the command's wiring: it stores
// created objects by endpoint and name and counts writes. The behaviour of
// setup itself is tested in internal/netboxsetup.
type tinyNetBox struct {
	mu      sync.Mutex
	objects map[string][]map[string]any
	writes  int
	auth    string
}

func (n *tinyNetBox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	n.auth = r.Header.Get("Authorization")
	if n.auth != "Token "+setupTestToken {
		w.WriteHeader(403)
		json.NewEncoder(w).Encode(map[string]any{"detail": "Invalid token"})
		return
	}
	if r.URL.Path == "/api/status/" {
		json.NewEncoder(w).Encode(map[string]any{"netbox-version": "4.2.2", "plugins": map[string]any{"netbox_hedgehog": "1"}, "rq-workers-running": 1})
		return
	}
	endpoint := strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/"), "/")
	switch r.Method {
	case http.MethodGet:
		var res []map[string]any
		for _, o := range n.objects[endpoint] {
			if o["name"] == r.URL.Query().Get("name") {
				res = append(res, o)
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"count": len(res), "next": nil, "results": res})
	case http.MethodPost:
		var o map[string]any
		json.NewDecoder(r.Body).Decode(&o)
		n.writes++
		o["id"] = n.writes
		n.objects[endpoint] = append(n.objects[endpoint], o)
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(o)
	default:
		w.WriteHeader(405)
	}
}

func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errOut.String()
}

func TestNetBoxSetupCommand(t *testing.T) {
	t.Parallel()
	nb := &tinyNetBox{objects: map[string][]map[string]any{}}
	srv := httptest.NewServer(nb)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(tokenFile, []byte(setupTestToken+"\n"), 0o600)
	os.WriteFile(secretFile, []byte(setupTestSecret+"\n"), 0o600)
	env := map[string]string{
		"HNP_GITOPS_NETBOX_URL":          srv.URL,
		"HNP_GITOPS_NETBOX_TOKEN_FILE":   tokenFile,
		"HNP_GITOPS_WEBHOOK_SECRET_FILE": secretFile,
	}

	// A dry run writes nothing and says what it would do.
	code, out, errOut := runCLI(t, env, "netbox", "setup", "--service-url", "http://hnp:8080", "--dry-run")
	if code != ExitOK {
		t.Fatalf("dry run: exit %d: %s", code, errOut)
	}
	if nb.writes != 0 || strings.Count(out, "would create") != 8 {
		t.Fatalf("dry run: %d writes, output:\n%s", nb.writes, out)
	}

	// The service URL from HNP_GITOPS_PUBLIC_URL, as a serve deployment has it.
	env["HNP_GITOPS_PUBLIC_URL"] = "http://hnp.netbox.svc:8080"
	code, out, errOut = runCLI(t, env, "netbox", "setup")
	if code != ExitOK {
		t.Fatalf("setup: exit %d: %s", code, errOut)
	}
	if nb.writes != 8 || strings.Count(out, "created") != 8 {
		t.Fatalf("setup: %d writes, output:\n%s", nb.writes, out)
	}
	hook := nb.objects["extras/webhooks"][0]
	if hook["payload_url"] != "http://hnp.netbox.svc:8080/webhooks/netbox" || hook["secret"] != setupTestSecret {
		t.Errorf("webhook %v", hook)
	}
	for _, s := range []string{out, errOut} {
		if strings.Contains(s, setupTestToken) || strings.Contains(s, setupTestSecret) {
			t.Errorf("output leaks a secret:\n%s", s)
		}
	}
}

func TestNetBoxSetupCommandErrors(t *testing.T) {
	t.Parallel()
	nb := &tinyNetBox{objects: map[string][]map[string]any{}}
	srv := httptest.NewServer(nb)
	t.Cleanup(srv.Close)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{
			name: "no netbox url", wantCode: ExitUsage, wantErr: "--netbox-url is required",
			args: []string{"netbox", "setup", "--netbox-token", setupTestToken, "--service-url", "http://x", "--webhook-secret", "s"},
		},
		{
			name: "no service url", wantCode: ExitUsage, wantErr: "--service-url is required",
			args: []string{"netbox", "setup", "--netbox-url", srv.URL, "--netbox-token", setupTestToken, "--webhook-secret", "s"},
		},
		{
			name: "no secret", wantCode: ExitUsage, wantErr: "no webhook secret",
			args: []string{"netbox", "setup", "--netbox-url", srv.URL, "--netbox-token", setupTestToken, "--service-url", "http://x"},
		},
		{
			name: "unknown flag", wantCode: ExitUsage, wantErr: "unknown flag",
			args: []string{"netbox", "setup", "--bogus"},
		},
		{
			name: "wrong token", wantCode: ExitFailure, wantErr: "403: Invalid token",
			env:  map[string]string{"HNP_GITOPS_NETBOX_TOKEN": "wrong-token-value"},
			args: []string{"netbox", "setup", "--netbox-url", srv.URL, "--service-url", "http://x", "--webhook-secret", "s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runCLI(t, tt.env, tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.wantCode, tt.wantErr)
			}
			if strings.Contains(errOut, setupTestToken) || strings.Contains(errOut, "wrong-token-value") {
				t.Errorf("stderr leaks the token: %s", errOut)
			}
		})
	}
}
