package githubsim_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/githubapi/githubapp"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

var testKeys = testkit.RSAKeys

// signClaims signs arbitrary claims with key and alg in the header.
func signClaims(t *testing.T, key *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func appSetup(t *testing.T, now func() time.Time) *harness {
	key, _ := testKeys()
	return setup(t, githubsim.Options{Now: now, App: &githubsim.AppOptions{
		ID: "12345", PublicKey: &key.PublicKey, InstallationID: 77, Repos: []string{"o/r"}, TokenLifetime: 10 * time.Minute,
	}})
}

func TestAppJWTVerification(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	h := appSetup(t, func() time.Time { return now })
	key, other := testKeys()
	good, err := githubapp.SignJWT(key, "12345", now)
	if err != nil {
		t.Fatal(err)
	}
	claims := func(iat, exp time.Time, iss any) map[string]any {
		return map[string]any{"iat": iat.Unix(), "exp": exp.Unix(), "iss": iss}
	}
	tests := []struct {
		name, jwt string
		code      int
		msg       string
	}{
		{"githubapp's JWT", good, 200, ""},
		{"client id as a string iss", signClaims(t, key, "RS256", claims(now.Add(-time.Minute), now.Add(9*time.Minute), "12345")), 200, ""},
		{"no JWT", "", 401, "could not be decoded"},
		{"the static token is no JWT", tok, 401, "could not be decoded"},
		{"other key", signClaims(t, other, "RS256", claims(now.Add(-time.Minute), now.Add(9*time.Minute), 12345)), 401, "could not be decoded"},
		{"alg none", signClaims(t, key, "none", claims(now.Add(-time.Minute), now.Add(9*time.Minute), 12345)), 401, "could not be decoded"},
		{"tampered payload", tamper(good), 401, "could not be decoded"},
		{"expired", signClaims(t, key, "RS256", claims(now.Add(-11*time.Minute), now.Add(-time.Minute), 12345)), 401, "'Expiration time'"},
		{"too long", signClaims(t, key, "RS256", claims(now, now.Add(30*time.Minute), 12345)), 401, "too far in the future"},
		{"issued in the future", signClaims(t, key, "RS256", claims(now.Add(5*time.Minute), now.Add(9*time.Minute), 12345)), 401, "'Issued at'"},
		{"wrong iss", signClaims(t, key, "RS256", claims(now.Add(-time.Minute), now.Add(9*time.Minute), 999)), 401, "Integration not found"},
	}
	for _, tc := range tests {
		code, body, _ := h.do("GET", "/repos/o/r/installation", tc.jwt, nil)
		if code != tc.code {
			t.Errorf("%s: status %d %v, want %d", tc.name, code, body, tc.code)
			continue
		}
		if tc.code == 200 {
			if id, _ := body["id"].(float64); id != 77 {
				t.Errorf("%s: installation = %v, want id 77", tc.name, body)
			}
			continue
		}
		if msg, _ := body["message"].(string); !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: message %q, want it to contain %q", tc.name, msg, tc.msg)
		}
	}
	st := h.sim.Stats()
	if n := st.Requests["GET /repos/{owner}/{repo}/installation"]; n != len(tests) {
		t.Errorf("installation requests counted = %d, want %d", n, len(tests))
	}
}

func tamper(jwt string) string {
	p := strings.Split(jwt, ".")
	c, _ := json.Marshal(map[string]any{"iat": 1, "exp": 4102444800, "iss": 12345})
	p[1] = base64.RawURLEncoding.EncodeToString(c)
	return strings.Join(p, ".")
}

// The installation tokens work where the static token does, on the
// installed repositories only, until they expire.
func TestAppInstallationTokens(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := appSetup(t, clock)
	if _, err := h.sim.CreateRepo("o", "elsewhere", true, "main"); err != nil {
		t.Fatal(err)
	}
	key, _ := testKeys()
	jwt, err := githubapp.SignJWT(key, "12345", now)
	if err != nil {
		t.Fatal(err)
	}
	if code, body, _ := h.do("GET", "/repos/o/elsewhere/installation", jwt, nil); code != 404 {
		t.Errorf("installation of a repository without the App: %d %v, want 404", code, body)
	}
	if code, body, _ := h.do("POST", "/app/installations/78/access_tokens", jwt, nil); code != 404 {
		t.Errorf("token of another installation: %d %v, want 404", code, body)
	}
	code, body, _ := h.do("POST", "/app/installations/77/access_tokens", jwt, nil)
	if code != 201 {
		t.Fatalf("create token: %d %v", code, body)
	}
	it, _ := body["token"].(string)
	exp, _ := body["expires_at"].(string)
	if !strings.HasPrefix(it, "ghs_") || exp != now.Add(10*time.Minute).Format(time.RFC3339) {
		t.Fatalf("token %q expires_at %q, want ghs_… at now+10m", it, exp)
	}
	if code, body, _ := h.do("POST", "/app/installations/77/access_tokens", it, nil); code != 401 {
		t.Errorf("an installation token is no JWT: %d %v, want 401", code, body)
	}
	if code, body, _ := h.do("GET", "/repos/o/r", it, nil); code != 200 {
		t.Errorf("installed repository with the token: %d %v, want 200", code, body)
	}
	if code, body, _ := h.do("GET", "/repos/o/elsewhere", it, nil); code != 404 {
		t.Errorf("other repository with the token: %d %v, want 404", code, body)
	}
	if code, body, _ := h.do("GET", "/repos/o/r", tok, nil); code != 200 {
		t.Errorf("static token still accepted: %d %v, want 200", code, body)
	}
	mu.Lock()
	now = now.Add(10 * time.Minute)
	mu.Unlock()
	if code, body, _ := h.do("GET", "/repos/o/r", it, nil); code != 401 {
		t.Errorf("expired token: %d %v, want 401", code, body)
	}
	st := h.sim.Stats()
	if st.InstallationTokens != 1 || st.Requests["POST /app/installations/{installation_id}/access_tokens"] != 3 {
		t.Errorf("stats: %d tokens issued, %v; want 1 issued of 3 requests", st.InstallationTokens, st.Requests)
	}
}

// Commits made with an installation token and no explicit author are the
// bot's and verified; with an author, or with the static token, they are
// not.
func TestAppVerifiedCommits(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	h := appSetup(t, func() time.Time { return now })
	key, _ := testKeys()
	jwt, err := githubapp.SignJWT(key, "12345", now)
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := h.do("POST", "/app/installations/77/access_tokens", jwt, nil)
	it, _ := body["token"].(string)
	tests := []struct {
		name, token string
		author      map[string]string
		verified    bool
		who         string
	}{
		{"installation token, no author", it, nil, true, "hnp-gitops-sim[bot]"},
		{"installation token, explicit author", it, map[string]string{"name": "Ops", "email": "ops@example.com"}, false, "Ops"},
		{"static token", tok, nil, false, "sim-user"},
	}
	for i, tc := range tests {
		req := map[string]any{"message": tc.name, "content": base64.StdEncoding.EncodeToString([]byte(tc.name)), "branch": "main"}
		if tc.author != nil {
			req["author"] = tc.author
		}
		code, out, _ := h.do("PUT", "/repos/o/r/contents/f"+strconv.Itoa(i), tc.token, req)
		if code != 201 {
			t.Fatalf("%s: PUT contents %d %v", tc.name, code, out)
		}
		c, _ := out["commit"].(map[string]any)
		sha, _ := c["sha"].(string)
		v, _ := c["verification"].(map[string]any)
		a, _ := c["author"].(map[string]any)
		if v["verified"] != tc.verified || h.sim.Verified(sha) != tc.verified || a["name"] != tc.who {
			t.Errorf("%s: verification %v, author %v; want verified=%v by %s", tc.name, v, a, tc.verified, tc.who)
		}
	}
}
