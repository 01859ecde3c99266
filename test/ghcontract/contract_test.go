package ghcontract_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
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
