package ghcontract_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/githubapi/githubapp"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/test/ghcontract"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

const (
	token  = "ghp_contractFAKEtoken0123456789abcdefAB"
	owner  = "hedgehog"
	fgdDir = "gitops/hedgehog/fabric-1"
)

// TestGitHubExchangesAgainstTheDescription runs the GitHub adapter's main
// paths (the acceptance case, a no-op, pull-request mode, an empty
// repository, the access check) through the emulator wrapped in the
// contract check, and reports every exchange that GitHub's description
// does not admit.
func TestGitHubExchangesAgainstTheDescription(t *testing.T) {
	t.Parallel()
	c, err := ghcontract.Load(testkit.ModuleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	sim, _ := testkit.StartSim(t, githubsim.Options{Wrap: c.Wrap}, token, owner, "fabrics")
	if _, err := sim.SeedFiles(owner, "fabrics", "main", testkit.AcceptanceSeed(t, fgdDir+"/raw"), "seed"); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.CreateRepo(owner, "empty", false, ""); err != nil {
		t.Fatal(err)
	}
	gh := githubapi.NewGitHub(githubapi.GitHubOptions{APIURL: sim.URL() + "/", TokenFor: func(gitport.Repo) string { return token }})
	repo := gitport.Repo{Host: "github.com", Owner: owner, Name: "fabrics"}
	steps := []struct {
		name string
		tg   gitport.Target
	}{
		{"acceptance case", gitport.Target{}},
		{"no-op", gitport.Target{}},
		{"pull-request mode", gitport.Target{PullRequestBranch: "hnp-gitops/updates"}},
		{"empty repository", gitport.Target{Repo: gitport.Repo{Host: "github.com", Owner: owner, Name: "empty"}, CreateMissingBranch: true}},
	}
	for _, s := range steps {
		if s.tg.PullRequestBranch != "" {
			// A file dropped into raw/, for the pull request to carry.
			vpc := "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: dropped\nspec: {}\n"
			if _, err := sim.SeedFiles(owner, "fabrics", "main", map[string][]byte{fgdDir + "/raw/dropped.yaml": []byte(vpc)}, "drop"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := testkit.Apply(t, gh, s.tg, repo, fgdDir, nil); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	if _, err := gh.CheckAccess(t.Context(), repo); err != nil {
		t.Fatalf("access check: %v", err)
	}

	counts := map[string]int{}
	for _, f := range c.Findings() {
		counts[fmt.Sprintf("%s %s %d: %.300s", f.Op, f.Dir, f.Status, f.Message)]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("%d exchanges validated, %d findings of %d kinds; known gaps of the description: %v",
		c.Exchanges(), len(c.Findings()), len(keys), c.Allowed())
	for _, k := range keys {
		t.Logf("%3d× %s", counts[k], k)
	}
	if c.Exchanges() < 30 {
		t.Errorf("only %d exchanges validated", c.Exchanges())
	}
	if len(keys) > 0 {
		t.Errorf("%d exchanges GitHub's description does not admit (listed above)", len(c.Findings()))
	}
}

// The check finds what it is for: an answer missing a required field, a
// request body of the wrong shape, and a path GitHub does not have; and
// the allowed gaps are only the named ones.
func TestContractFindsMismatches(t *testing.T) {
	t.Parallel()
	c, err := ghcontract.Load(testkit.ModuleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	h := c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/repos/o/r/git/ref/heads/main":
			_, _ = w.Write([]byte(`{"ref":"refs/heads/main"}`)) // no node_id, url, object
		case "/repos/o/r/git/refs":
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{}`))
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/repos/o/r/git/ref/heads/main", ""},
		{"POST", "/repos/o/r/git/refs", `{"ref":7}`},
		{"GET", "/repos/o/r/not-github", ""},
		{"GET", "/repos/o/r/git/blobs/0123456789abcdef0123456789abcdef01234567", ""}, // a 503: an allowed gap
	} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, strings.NewReader(req.body))
		if req.body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var got []string
	for _, f := range c.Findings() {
		got = append(got, f.Op+" "+f.Dir)
	}
	sort.Strings(got)
	want := []string{"GET /repos/o/r/not-github request", "git/create-ref request", "git/create-ref response", "git/get-ref response"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("findings %v, want %v", got, want)
	}
	if a := c.Allowed(); len(a) != 1 || a["undocumented 503"] != 1 {
		t.Errorf("allowed %v, want only the undocumented 503", a)
	}
}

// Each named gap of GitHub's description lets through exactly what it
// names, and nothing outside the list passes: a 404 GitHub lists on get-ref
// is judged, a 422 it does not list is a finding.
func TestEveryGapIsNamed(t *testing.T) {
	t.Parallel()
	const blob = "/repos/o/r/git/blobs/0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name, method, path, accept, body string
		status                           int
		gap                              string // "" = judged
		finding                          bool
	}{
		{"raw blob", "GET", blob, "application/vnd.github.raw", "", 200, "raw blob media type", false},
		{"400 is a finding", "GET", "/repos/o/r/git/ref/heads/main", "", "", 400, "", true},
		{"401", "GET", "/repos/o/r/git/ref/heads/main", "", "", 401, "undocumented 401", false},
		{"429", "GET", "/repos/o/r/git/ref/heads/main", "", "", 429, "undocumented 429", false},
		{"502", "GET", "/repos/o/r/git/ref/heads/main", "", "", 502, "undocumented 502", false},
		{"rate-limit 403 where none is listed", "GET", "/repos/o/r/git/ref/heads/main", "", "", 403, "undocumented rate-limit 403", false},
		{"PUT contents 409", "PUT", "/repos/o/r/contents/a.yaml", "", `{"message":"m","content":"YQ=="}`, 409, "PUT contents 409 oneOf", false},
		{"404 on get-ref is judged", "GET", "/repos/o/r/git/ref/heads/main", "", "", 404, "", false},
		{"a permission 403 is a finding", "GET", "/repos/o/r/git/ref/heads/main", "x-no-ratelimit", "", 403, "", true},
		{"a status get-ref does not list is a finding", "GET", "/repos/o/r/git/ref/heads/main", "", "", 422, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := ghcontract.Load(testkit.ModuleRoot(t))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				if tc.status == http.StatusForbidden && r.Header.Get("Accept") != "x-no-ratelimit" {
					w.Header().Set("X-Ratelimit-Remaining", "0")
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`))
			})))
			defer srv.Close()
			r, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if tc.accept != "" {
				r.Header.Set("Accept", tc.accept)
			}
			if tc.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			allowed := c.Allowed()
			if tc.gap != "" && (len(allowed) != 1 || allowed[tc.gap] != 1) {
				t.Errorf("allowed %v, want only %q", allowed, tc.gap)
			}
			if tc.gap == "" && len(allowed) != 0 {
				t.Errorf("allowed %v, want it judged", allowed)
			}
			if got := len(c.Findings()) > 0; got != tc.finding {
				t.Errorf("findings %v, want a finding: %v", c.Findings(), tc.finding)
			}
		})
	}
}

// The App installation answer GitHub sends has an integer app_id (go-github
// decodes an int64). The emulator's answer passes the check; the same
// answer with app_id as a string, as the emulator once sent it, is a
// finding that names the field.
func TestContractFindsAStringAppID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		mutate   bool
		findings int
	}{{"the emulator's answer", false, 0}, {"app_id as a string", true, 1}} {
		c, err := ghcontract.Load(testkit.ModuleRoot(t))
		if err != nil {
			t.Fatal(err)
		}
		key, _ := testkit.RSAKeys()
		wrap := c.Wrap
		if tc.mutate {
			wrap = func(h http.Handler) http.Handler { return c.Wrap(stringAppID(h)) }
		}
		sim, _ := testkit.StartSim(t, githubsim.Options{Wrap: wrap, App: &githubsim.AppOptions{
			ID: "12345", PublicKey: &key.PublicKey, InstallationID: 77, Repos: []string{"o/r"},
		}}, "", "o", "r")
		jwt, err := githubapp.SignJWT(key, "12345", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", sim.URL()+"/repos/o/r/installation", nil)
		req.Header.Set("Authorization", "Bearer "+jwt)
		req.Header.Set("Accept", "application/vnd.github+json")
		req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", tc.name, resp.StatusCode)
		}
		f := c.Findings()
		if len(f) != tc.findings {
			t.Fatalf("%s: findings %v, want %d", tc.name, f, tc.findings)
		}
		if tc.findings == 1 && (f[0].Op != "apps/get-repo-installation" || f[0].Dir != "response" || !strings.Contains(f[0].Message, "app_id")) {
			t.Errorf("%s: finding %v, want the installation answer's app_id", tc.name, f[0])
		}
	}
}

// stringAppID turns the installation answer's integer app_id into a
// string.
func stringAppID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil && body["app_id"] != nil {
			body["app_id"] = fmt.Sprint(body["app_id"])
			b, _ := json.Marshal(body)
			rec.Body.Reset()
			rec.Body.Write(b)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}
