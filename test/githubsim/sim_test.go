package githubsim_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const tok = "sim-token"

type harness struct {
	t    *testing.T
	sim  *githubsim.Server
	c    *http.Client
	bare string
}

func setup(t *testing.T, o githubsim.Options) *harness {
	t.Helper()
	sim, bare := testkit.StartSim(t, o, tok, "o", "r")
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &harness{t: t, sim: sim, c: &http.Client{Transport: tr}, bare: bare}
}

// do sends a request with the token ("" for none) and decodes the answer.
func (h *harness) do(method, path, token string, body any) (int, map[string]any, http.Header) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.sim.URL()+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// As GitHub's clients do: GitHub refuses some JSON bodies without it.
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, resp.Header
}

func (h *harness) seed(files map[string]string) string {
	h.t.Helper()
	m := map[string][]byte{}
	for p, c := range files {
		m[p] = []byte(c)
	}
	sha, err := h.sim.SeedFiles("o", "r", "main", m, "seed")
	if err != nil {
		h.t.Fatal(err)
	}
	return sha
}

func TestAuthAndErrors(t *testing.T) {
	t.Parallel()
	h := setup(t, githubsim.Options{ReadOnlyTokens: []string{"ro"}})
	if _, err := h.sim.CreateRepo("o", "public", false, "main"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, token string
		body                      any
		code                      int
		msg                       string
	}{
		{"empty repository", "GET", "/repos/o/r/git/ref/heads/main", tok, nil, 409, "Git Repository is empty."},
		{"wrong token", "GET", "/repos/o/r", "nope", nil, 401, "Bad credentials"},
		{"private without token", "GET", "/repos/o/r", "", nil, 404, "Not Found"},
		{"public read without token", "GET", "/repos/o/public", "", nil, 200, ""},
		{"public write without token", "POST", "/repos/o/public/git/blobs", "", map[string]string{"content": "x"}, 401, "Requires authentication"},
		{"read-only token writes", "POST", "/repos/o/r/git/blobs", "ro", map[string]string{"content": "x"}, 403, "Resource not accessible by personal access token"},
		{"missing repository", "GET", "/repos/o/nope", tok, nil, 404, "Not Found"},
		{"enterprise prefix", "GET", "/api/v3/repos/o/r", tok, nil, 200, ""},
	}
	for _, tc := range tests {
		code, body, hdr := h.do(tc.method, tc.path, tc.token, tc.body)
		if code != tc.code || (tc.msg != "" && body["message"] != tc.msg) {
			t.Errorf("%s: %d %v, want %d %q", tc.name, code, body, tc.code, tc.msg)
		}
		if tc.msg != "" && body["documentation_url"] == nil {
			t.Errorf("%s: no documentation_url in %v", tc.name, body)
		}
		for _, k := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset", "X-Ratelimit-Used", "X-Ratelimit-Resource"} {
			if hdr.Get(k) == "" {
				t.Errorf("%s: no %s header", tc.name, k)
			}
		}
	}
}

// The Git Data API round trip, GitHub's refusal of non-fast-forward
// updates, and what git itself sees in the bare repository.
func TestGitDataAPI(t *testing.T) {
	t.Parallel()
	h := setup(t, githubsim.Options{TruncateAbove: 3})
	seed := h.seed(map[string]string{"a/one.txt": "1\n", "a/two.txt": "2\n", "b.txt": "b\n"})

	code, ref, _ := h.do("GET", "/repos/o/r/git/ref/heads/main", tok, nil)
	if code != 200 || ref["object"].(map[string]any)["sha"] != seed {
		t.Fatalf("get ref = %d %v", code, ref)
	}
	_, commit, _ := h.do("GET", "/repos/o/r/git/commits/"+seed, tok, nil)
	tree := commit["tree"].(map[string]any)["sha"].(string)
	_, listing, _ := h.do("GET", "/repos/o/r/git/trees/"+tree+"?recursive=1", tok, nil)
	if listing["truncated"] != true || len(listing["tree"].([]any)) != 3 {
		t.Errorf("recursive listing of 4 entries above a threshold of 3 = %v", listing)
	}
	code, _, _ = h.do("POST", "/repos/o/r/git/trees", tok, map[string]any{"base_tree": tree, "tree": []map[string]any{
		{"path": "a/missing.txt", "mode": "100644", "type": "blob", "sha": nil},
	}})
	if code != 422 {
		t.Errorf("deleting a missing path = %d, want 422", code)
	}
	code, nt, _ := h.do("POST", "/repos/o/r/git/trees", tok, map[string]any{"base_tree": tree, "tree": []map[string]any{
		{"path": "a/one.txt", "mode": "100644", "type": "blob", "sha": nil},
		{"path": "c/new.txt", "mode": "100644", "type": "blob", "content": "new\n"},
	}})
	if code != 201 {
		t.Fatalf("create tree = %d %v", code, nt)
	}
	code, nc, _ := h.do("POST", "/repos/o/r/git/commits", tok, map[string]any{
		"message": "change", "tree": nt["sha"], "parents": []string{seed},
		"author": map[string]string{"name": "A", "email": "a@example.com"},
	})
	if code != 201 {
		t.Fatalf("create commit = %d %v", code, nc)
	}
	// A commit with its parent's tree is counted as empty.
	if code, _, _ := h.do("POST", "/repos/o/r/git/commits", tok, map[string]any{"message": "empty", "tree": tree, "parents": []string{seed}}); code != 201 {
		t.Fatalf("empty commit = %d", code)
	}
	// A sibling of seed: not a fast forward of the new head.
	_, sib, _ := h.do("POST", "/repos/o/r/git/commits", tok, map[string]any{"message": "sibling", "tree": nt["sha"], "parents": []string{seed}})

	if code, _, _ := h.do("PATCH", "/repos/o/r/git/refs/heads/main", tok, map[string]any{"sha": nc["sha"], "force": false}); code != 200 {
		t.Fatalf("fast-forward update = %d", code)
	}
	code, body, _ := h.do("PATCH", "/repos/o/r/git/refs/heads/main", tok, map[string]any{"sha": sib["sha"], "force": false})
	if code != 422 || body["message"] != "Update is not a fast forward" {
		t.Errorf("non-fast-forward update = %d %v", code, body)
	}
	if code, _, _ := h.do("PATCH", "/repos/o/r/git/refs/heads/main", tok, map[string]any{"sha": sib["sha"], "force": true}); code != 200 {
		t.Errorf("forced update = %d", code)
	}
	if code, body, _ := h.do("POST", "/repos/o/r/git/refs", tok, map[string]any{"ref": "refs/heads/main", "sha": seed}); code != 422 || body["message"] != "Reference already exists" {
		t.Errorf("create existing ref = %d %v", code, body)
	}
	st := h.sim.Stats()
	if st.ForceUpdates != 1 || st.EmptyCommits != 1 || st.Commits != 3 {
		t.Errorf("force=%d empty=%d commits=%d, want 1 1 3", st.ForceUpdates, st.EmptyCommits, st.Commits)
	}

	// git sees the forced head: c/new.txt present, a/one.txt gone.
	files := testkit.Clone(t, h.bare, "main")
	if b, ok := files["c/new.txt"]; !ok || b != "new\n" {
		t.Errorf("c/new.txt = %q (present %v)", b, ok)
	}
	if _, ok := files["a/one.txt"]; ok {
		t.Errorf("a/one.txt still there")
	}
	if out, err := testkit.GitErr(t, ".", "--git-dir", h.bare, "fsck", "--strict"); err != nil {
		t.Errorf("git fsck: %v\n%s", err, out)
	}
}

func TestContentsAndPulls(t *testing.T) {
	t.Parallel()
	h := setup(t, githubsim.Options{})
	put := func(path, content, sha, branch string) (int, map[string]any) {
		body := map[string]any{"message": "put " + path, "content": b64(content), "branch": branch}
		if sha != "" {
			body["sha"] = sha
		}
		code, out, _ := h.do("PUT", "/repos/o/r/contents/"+path, tok, body)
		return code, out
	}
	if code, _ := put("x/a.txt", "a", "", "main"); code != 201 {
		t.Fatalf("first PUT on an empty repository = %d", code)
	}
	code, file, _ := h.do("GET", "/repos/o/r/contents/x/a.txt?ref=main", tok, nil)
	if code != 200 || file["sha"] == nil {
		t.Fatalf("GET contents = %d %v", code, file)
	}
	if code, _ := put("x/a.txt", "b", "", "main"); code != 422 {
		t.Errorf("PUT over a file without sha = %d, want 422", code)
	}
	if code, _ := put("x/a.txt", "b", "0000000000000000000000000000000000000000", "main"); code != 409 {
		t.Errorf("PUT with a stale sha = %d, want 409", code)
	}
	if code, _ := put("x/a.txt", "b", file["sha"].(string), "main"); code != 200 {
		t.Errorf("PUT with the sha = %d, want 200", code)
	}
	head, _ := h.sim.Head("o", "r", "main")
	if code, _, _ := h.do("POST", "/repos/o/r/git/refs", tok, map[string]any{"ref": "refs/heads/pr", "sha": head}); code != 201 {
		t.Fatalf("create ref = %d", code)
	}
	pr := map[string]any{"title": "t", "head": "pr", "base": "main"}
	if code, body, _ := h.do("POST", "/repos/o/r/pulls", tok, pr); code != 201 || !strings.HasSuffix(body["html_url"].(string), "/o/r/pull/1") {
		t.Errorf("create PR = %d %v", code, body)
	}
	if code, _, _ := h.do("POST", "/repos/o/r/pulls", tok, pr); code != 422 {
		t.Errorf("duplicate PR = %d, want 422", code)
	}
	if err := h.sim.Protect("o", "r", "main"); err != nil {
		t.Fatal(err)
	}
	if code, body, _ := h.do("PATCH", "/repos/o/r/git/refs/heads/main", tok, map[string]any{"sha": head}); code != 422 || !strings.Contains(body["message"].(string), "Protected branch") {
		t.Errorf("update of a protected branch = %d %v", code, body)
	}
}

func TestAdminAndFaults(t *testing.T) {
	t.Parallel()
	h := setup(t, githubsim.Options{})
	code, body, _ := h.do("POST", "/_sim/repos", "", githubsim.RepoSpec{Owner: "o", Name: "seeded", Files: map[string]string{"f.txt": "x"}})
	if code != 201 || body["head"] == nil {
		t.Fatalf("POST /_sim/repos = %d %v", code, body)
	}
	if code, _, _ := h.do("PUT", "/_sim/faults", "", githubsim.Faults{Errors: 1, ErrorStatus: 503}); code != 200 {
		t.Fatalf("PUT /_sim/faults = %d", code)
	}
	if code, _, _ := h.do("GET", "/repos/o/seeded", tok, nil); code != 503 {
		t.Errorf("faulted request = %d, want 503", code)
	}
	if code, _, _ := h.do("GET", "/repos/o/seeded", tok, nil); code != 200 {
		t.Errorf("next request = %d, want 200", code)
	}
	h.sim.SetFaults(githubsim.Faults{Exhausted: 1, ResetSeconds: 5})
	code, body, hdr := h.do("GET", "/repos/o/seeded", tok, nil)
	if code != 403 || hdr.Get("X-Ratelimit-Remaining") != "0" || hdr.Get("X-Ratelimit-Reset") == "" {
		t.Errorf("exhausted = %d %v %v", code, body, hdr)
	}
	h.sim.SetFaults(githubsim.Faults{TooMany: 1, RetryAfterSeconds: 7})
	if code, _, hdr := h.do("GET", "/repos/o/seeded", tok, nil); code != 429 || hdr.Get("Retry-After") != "7" {
		t.Errorf("429 = %d retry-after %q", code, hdr.Get("Retry-After"))
	}
	code, stats, _ := h.do("GET", "/_sim/stats", "", nil)
	reqs, _ := stats["requests"].(map[string]any)
	if code != 200 || reqs["GET /repos/{owner}/{repo}"] != float64(4) {
		t.Errorf("stats = %d %v", code, stats)
	}
	for _, k := range []string{"writes", "commits", "force_updates", "empty_commits", "max_concurrent_writers_per_branch"} {
		if _, ok := stats[k]; !ok {
			t.Errorf("stats lack %s", k)
		}
	}
}

// Two clients with write sequences open at once on one repository.
func TestConcurrentWritersDetected(t *testing.T) {
	t.Parallel()
	h := setup(t, githubsim.Options{})
	seed := h.seed(map[string]string{"a.txt": "a"})
	_, c, _ := h.do("GET", "/repos/o/r/git/commits/"+seed, tok, nil)
	base := c["tree"].(map[string]any)["sha"]
	tree := func(content string) string {
		_, t1, _ := h.do("POST", "/repos/o/r/git/trees", tok, map[string]any{"base_tree": base, "tree": []map[string]any{
			{"path": "a.txt", "mode": "100644", "type": "blob", "content": content}}})
		return t1["sha"].(string)
	}
	t1, t2 := tree("1"), tree("2")
	if n := h.sim.Stats().MaxWriters; n != 2 {
		t.Errorf("max writers = %d, want 2", n)
	}
	for _, tr := range []string{t1, t2} {
		_, cm, _ := h.do("POST", "/repos/o/r/git/commits", tok, map[string]any{"message": "m", "tree": tr, "parents": []string{seed}})
		h.do("PATCH", "/repos/o/r/git/refs/heads/main", tok, map[string]any{"sha": cm["sha"]})
	}
	h.sim.ResetStats()
	tree("3")
	if n := h.sim.Stats().MaxWriters; n != 1 {
		t.Errorf("after both finished, max writers = %d, want 1", n)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// A client that dies in the middle of a write sequence stops counting as a
// writer when its connection closes.
func TestAbandonedWriteForgotten(t *testing.T) {
	t.Parallel()
	h := setup(t, githubsim.Options{})
	seed := h.seed(map[string]string{"a.txt": "a"})
	_, c, _ := h.do("GET", "/repos/o/r/git/commits/"+seed, tok, nil)
	dying := &http.Transport{}
	h.c = &http.Client{Transport: dying}
	h.do("POST", "/repos/o/r/git/trees", tok, map[string]any{"base_tree": c["tree"].(map[string]any)["sha"], "tree": []map[string]any{
		{"path": "a.txt", "mode": "100644", "type": "blob", "content": "dying"}}})
	if n := h.sim.Stats().OpenWriters; n != 1 {
		t.Fatalf("open write sequences = %d, want 1", n)
	}
	dying.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for h.sim.Stats().OpenWriters != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the closed connection's write sequence is still open")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ImportFiles lands many files in one commit through git fast-import, on
// top of the branch; the API reads them at once (the pack is indexed), and
// later commits build on them.
func TestImportFiles(t *testing.T) {
	h := setup(t, githubsim.Options{})
	seed, err := h.sim.SeedFiles("o", "r", "main", map[string][]byte{"README.md": []byte("# r\n")}, "seed")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for i := range 300 {
		files[fmt.Sprintf("fabrics/f-%03d/README.md", i)] = []byte(fmt.Sprintf("fabric %d\n", i))
	}
	head, err := h.sim.ImportFiles("o", "r", "main", files, "Seed FGDs")
	if err != nil {
		t.Fatal(err)
	}
	if head == seed {
		t.Fatal("the branch did not move")
	}
	_, commit, _ := h.do("GET", "/repos/o/r/git/commits/"+head, tok, nil)
	if parents, _ := commit["parents"].([]any); len(parents) != 1 || parents[0].(map[string]any)["sha"] != seed {
		t.Errorf("parents %v, want the seed commit", commit["parents"])
	}
	tree := commit["tree"].(map[string]any)["sha"].(string)
	_, listing, _ := h.do("GET", "/repos/o/r/git/trees/"+tree+"?recursive=1", tok, nil)
	blobs := 0
	for _, e := range listing["tree"].([]any) {
		if e.(map[string]any)["type"] == "blob" {
			blobs++
		}
	}
	if blobs != 301 {
		t.Errorf("%d files in the tree, want 300 imported and the README", blobs)
	}
	if _, err := h.sim.SeedFiles("o", "r", "main", map[string][]byte{"fabrics/f-000/README.md": nil}, "after"); err != nil {
		t.Fatalf("a commit on top of the imported one: %v", err)
	}
	if _, err := h.sim.ImportFiles("o", "x", "main", files, "m"); err == nil {
		t.Error("import into a missing repository succeeded")
	}
}
