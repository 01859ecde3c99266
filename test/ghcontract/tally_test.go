package ghcontract_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/test/ghcontract"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// TestRouteLabelsAreOperations holds every route label of githubapi.Route
// to an operation of GitHub's description, by method, path and parameter
// names: a request to the operation's path gets exactly that label.
func TestRouteLabelsAreOperations(t *testing.T) {
	t.Parallel()
	c, err := ghcontract.Load(testkit.ModuleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	sample := strings.NewReplacer("{owner}", "o", "{repo}", "r", "{ref}", "heads/a/b",
		"{commit_sha}", "c0", "{tree_sha}", "t0", "{file_sha}", "f0", "{path}", "a/b.yaml",
		"{basehead}", "main...x", "{installation_id}", "42")
	for _, label := range githubapi.Routes() {
		method, path, _ := strings.Cut(label, " ")
		req := httptest.NewRequest(method, "https://api.github.com"+sample.Replace(path), nil)
		if got := githubapi.Route(req); got != label {
			t.Errorf("%s %s: Route = %q, want %q", method, req.URL.Path, got, label)
		}
		h := c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(599) }))
		h.ServeHTTP(httptest.NewRecorder(), req)
		if n := c.Operations()[label]; n != 1 {
			t.Errorf("route label %q is not an operation of GitHub's description (operations seen: %v)", label, c.Operations())
		}
	}
}

// TestTallyRatchet: the counts the checks record add up by package, and a
// package or the total under its floor is reported.
func TestTallyRatchet(t *testing.T) {
	// Not parallel: it sets the tally file of the process.
	file := filepath.Join(t.TempDir(), "tally")
	t.Setenv(ghcontract.TallyEnv, file)
	c, err := ghcontract.Load(testkit.ModuleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	h := c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	for range 3 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/repos/o/r", nil))
	}
	for _, pkg := range []string{"a", "a", "b"} {
		if err := c.Record(pkg, t.Name()); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts, err := ghcontract.ReadTally(f)
	if err != nil {
		t.Fatal(err)
	}
	byPkg, byOp, total := ghcontract.Totals(ts)
	if byPkg["a"] != 6 || byPkg["b"] != 3 || total != 9 || byOp["GET /repos/{owner}/{repo}"] != 9 {
		t.Fatalf("totals: %v %v %d", byPkg, byOp, total)
	}
	floors, err := ghcontract.ReadFloors(strings.NewReader("# comment\na 6\nb 4 # one short\ntotal 10\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := floors.Fallen(byPkg, total)
	want := []string{"b: 3 validated exchanges, under its floor of 4", "total: 9 validated exchanges, under its floor of 10"}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("fallen = %s, want %s", g, w)
	}
	if _, err := ghcontract.ReadFloors(strings.NewReader("a six\n")); err == nil {
		t.Error("a floors line without a count was read")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
