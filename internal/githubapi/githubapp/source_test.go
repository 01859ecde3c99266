package githubapp_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/githubapi/githubapp"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

const (
	appID      = "12345"
	installID  = 4242
	owner      = "hedgehog"
	name       = "fabrics"
	staticTok  = "ghp_STATICTESTTOKEN0123456789"
	routeInst  = "GET /repos/{owner}/{repo}/installation"
	routeToken = "POST /app/installations/{installation_id}/access_tokens"
)

// clock is a settable clock shared by the emulator and the Source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type appEnv struct {
	sim   *githubsim.Server
	bare  string
	clock *clock
	tr    *http.Transport
	opts  githubapp.Options
}

// newAppEnv starts an emulator in App mode, installed on owner/name, with
// a repository owner/other the App is not installed on.
func newAppEnv(t *testing.T) *appEnv {
	t.Helper()
	key, _ := testKeys()
	c := &clock{now: time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)}
	sim, bare := testkit.StartSim(t, githubsim.Options{Now: c.Now, App: &githubsim.AppOptions{
		ID: appID, PublicKey: &key.PublicKey, InstallationID: installID, Repos: []string{owner + "/" + name},
	}}, staticTok, owner, name)
	if _, err := sim.CreateRepo(owner, "other", true, "main"); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &appEnv{sim: sim, bare: bare, clock: c, tr: tr, opts: githubapp.Options{
		AppID: appID, Key: key, HTTPClient: &http.Client{Transport: tr}, Now: c.Now,
		APIBase: func(string) string { return sim.URL() + "/" },
	}}
}

func (e *appEnv) source(mod func(*githubapp.Options)) *githubapp.Source {
	o := e.opts
	if mod != nil {
		mod(&o)
	}
	return githubapp.New(o)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// accepted reports whether the emulator lets tok read owner/name.
func (e *appEnv) accepted(t *testing.T, tok string) bool {
	t.Helper()
	req, _ := http.NewRequest("GET", e.sim.URL()+"/repos/"+owner+"/"+name, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := (&http.Client{Transport: e.tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// noSecret fails when err's text holds a JWT, a token or key material.
func noSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	s := err.Error()
	for _, bad := range append([]string{"eyJ", "ghs_", "ghp_", "PRIVATE KEY", "Bearer"}, secrets...) {
		if bad != "" && strings.Contains(s, bad) {
			t.Errorf("error %q contains %q", s, bad)
		}
	}
}

func TestTokenIsCachedUntilNearExpiry(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	src := e.source(nil)
	first, err := src.Token(ctx(t), owner, name, "github.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first, "ghs_") || !e.accepted(t, first) {
		t.Fatalf("token %q is not an installation token the emulator accepts", first)
	}
	for range 20 {
		tok, err := src.Token(ctx(t), owner, name, "")
		if err != nil || tok != first {
			t.Fatalf("cached Token = %q, %v; want the first token", tok, err)
		}
	}
	st := e.sim.Stats()
	if st.Requests[routeInst] != 1 || st.Requests[routeToken] != 1 || st.InstallationTokens != 1 {
		t.Fatalf("21 Token calls made %d lookups and %d token requests, want 1 and 1", st.Requests[routeInst], st.Requests[routeToken])
	}

	// An hour's token is kept for 55 minutes, then replaced.
	e.clock.Add(55*time.Minute - time.Second)
	if tok, err := src.Token(ctx(t), owner, name, ""); err != nil || tok != first {
		t.Fatalf("Token at 54m59s = %q, %v; want the cached one", tok, err)
	}
	e.clock.Add(2 * time.Second)
	second, err := src.Token(ctx(t), owner, name, "")
	if err != nil || second == first || !e.accepted(t, second) {
		t.Fatalf("Token at 55m01s = %q, %v; want a new accepted token", second, err)
	}
	st = e.sim.Stats()
	if st.Requests[routeInst] != 1 || st.Requests[routeToken] != 2 {
		t.Errorf("after expiry: %d lookups and %d token requests, want 1 (installation remembered) and 2", st.Requests[routeInst], st.Requests[routeToken])
	}
	e.clock.Add(10 * time.Minute)
	if e.accepted(t, first) {
		t.Error("the emulator still accepts the first token after its hour")
	}
}

func TestConcurrentCallersShareOneRequest(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	e.sim.SetFaults(githubsim.Faults{Match: "installation", LatencyMS: 200})
	src := e.source(nil)
	const n = 16
	var wg sync.WaitGroup
	toks := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { toks[i], errs[i] = src.Token(ctx(t), owner, name, "github.com") })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || toks[i] != toks[0] || toks[0] == "" {
			t.Fatalf("caller %d: %q, %v; want the shared token %q", i, toks[i], errs[i], toks[0])
		}
	}
	st := e.sim.Stats()
	if st.Requests[routeInst] != 1 || st.Requests[routeToken] != 1 {
		t.Errorf("%d concurrent callers made %d lookups and %d token requests, want 1 and 1", n, st.Requests[routeInst], st.Requests[routeToken])
	}
}

func TestFixedInstallationSkipsTheLookup(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	src := e.source(func(o *githubapp.Options) { o.InstallationID = installID })
	tok, err := src.Token(ctx(t), owner, name, "")
	if err != nil || !e.accepted(t, tok) {
		t.Fatalf("Token = %q, %v; want an accepted token", tok, err)
	}
	if st := e.sim.Stats(); st.Requests[routeInst] != 0 || st.Requests[routeToken] != 1 {
		t.Errorf("requests %v, want one token request and no lookup", st.Requests)
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	_, otherKey := testKeys()
	tests := []struct {
		name      string
		repo      string
		opts      func(*githubapp.Options)
		faults    githubsim.Faults
		kind      githubapp.Kind
		status    int
		want      string
		recovered bool // the next call succeeds
	}{
		{name: "not installed", repo: "other", kind: githubapp.KindNotInstalled, status: 404,
			want: "the GitHub App 12345 is not installed on hedgehog/other"},
		{name: "no such repository", repo: "nope", kind: githubapp.KindNotInstalled, status: 404,
			want: "the GitHub App 12345 is not installed on hedgehog/nope"},
		{name: "wrong private key", opts: func(o *githubapp.Options) { o.Key = otherKey }, kind: githubapp.KindAuth, status: 401,
			want: "GitHub refused the JWT of the GitHub App 12345"},
		{name: "wrong App id", opts: func(o *githubapp.Options) { o.AppID = "999" }, kind: githubapp.KindAuth, status: 401,
			want: "Integration not found"},
		{name: "clock an hour off", opts: func(o *githubapp.Options) {
			o.Now = func() time.Time { return time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC) }
		}, kind: githubapp.KindAuth, status: 401, want: "'Expiration time'"},
		{name: "wrong fixed installation", opts: func(o *githubapp.Options) { o.InstallationID = 99 }, kind: githubapp.KindNotInstalled, status: 404,
			want: "installation not found for the GitHub App 12345"},
		{name: "no key", opts: func(o *githubapp.Options) { o.Key = nil }, kind: githubapp.KindInvalid, want: "id and private key are required"},
		{name: "5xx on the lookup", faults: githubsim.Faults{Match: "/installation", Errors: 1, ErrorStatus: 502}, kind: githubapp.KindTransient, status: 502, recovered: true},
		{name: "5xx on the token", faults: githubsim.Faults{Match: "access_tokens", Errors: 1, ErrorStatus: 503}, kind: githubapp.KindTransient, status: 503, recovered: true},
		{name: "rate limited", faults: githubsim.Faults{Match: "access_tokens", RateLimited: 1}, kind: githubapp.KindTransient, status: 403, recovered: true},
		{name: "server unreachable", opts: func(o *githubapp.Options) {
			o.APIBase = func(string) string { return "http://127.0.0.1:1/" }
		}, kind: githubapp.KindTransient, want: "request failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newAppEnv(t)
			e.sim.SetFaults(tc.faults)
			src := e.source(tc.opts)
			repo := name
			if tc.repo != "" {
				repo = tc.repo
			}
			tok, err := src.Token(ctx(t), owner, repo, "")
			var ae *githubapp.Error
			if !errors.As(err, &ae) {
				t.Fatalf("Token = %q, %v (%T); want *githubapp.Error", tok, err, err)
			}
			if ae.Kind != tc.kind || ae.StatusCode != tc.status || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v (kind %s, status %d); want kind %s, status %d, containing %q", err, ae.Kind, ae.StatusCode, tc.kind, tc.status, tc.want)
			}
			if ae.Temporary() != (tc.kind == githubapp.KindTransient) {
				t.Errorf("Temporary() = %v for kind %s", ae.Temporary(), ae.Kind)
			}
			noSecret(t, err, staticTok)
			if tc.recovered {
				if tok, err := src.Token(ctx(t), owner, repo, ""); err != nil || !e.accepted(t, tok) {
					t.Errorf("after the fault: %q, %v; want an accepted token", tok, err)
				}
			}
		})
	}
}

// A caller whose context ends stops waiting; the shared request goes on
// for the others and its token is cached.
func TestCallerGivesUp(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	e.sim.SetFaults(githubsim.Faults{Match: "access_tokens", LatencyMS: 300})
	src := e.source(nil)
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := src.Token(short, owner, name, "")
	if githubapp.KindOf(err) != githubapp.KindTransient || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 250*time.Millisecond {
		t.Fatalf("Token with a 50ms deadline = %v after %v; want a transient deadline error at once", err, time.Since(start))
	}
	tok, err := src.Token(ctx(t), owner, name, "")
	if err != nil || !e.accepted(t, tok) {
		t.Fatalf("second caller: %q, %v", tok, err)
	}
	if n := e.sim.Stats().Requests[routeToken]; n != 1 {
		t.Errorf("token requests = %d, want 1 (the abandoned one served the second caller)", n)
	}
}
