package netboxsim

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The HNP options model what running the real HNP 705549aa showed
// (docs/real-netbox.md); test/realnetbox runs the same cases against both.
func TestHNPQuirks(t *testing.T) {
	t.Parallel()
	s := start(t, Options{HNPQuirks: true, Faults: Faults{HangMax: 200 * time.Millisecond}})
	mine, err := s.CreateRepository(Repository{Name: "mine", URL: "https://github.com/o/mine.git"})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := s.CreateRepository(Repository{Name: "theirs", URL: "https://github.com/o/theirs.git", CreatedBy: "someone-else"})
	if err != nil {
		t.Fatal(err)
	}
	repo := func(id int64, query string) response {
		return api(t, s, http.MethodGet, "/api/plugins/hedgehog/git-repos-api/"+strconv.FormatInt(id, 10)+"/"+query, nil)
	}
	if r := repo(mine.ID, ""); r.code != http.StatusGatewayTimeout {
		t.Errorf("full GET of a repository: %d, want the hang (504 after HangMax)", r.code)
	}
	r := repo(mine.ID, "?fields=id,name,url")
	if r.code != http.StatusOK || len(r.json(t)) != 3 {
		t.Errorf("GET ?fields=id,name,url: %d %s, want exactly those fields", r.code, r.body)
	}
	if r := repo(theirs.ID, "?fields=id"); r.code != http.StatusNotFound {
		t.Errorf("another user's repository: %d, want 404", r.code)
	}
	for _, name := range []string{"f1", "f2"} {
		if r := api(t, s, http.MethodPost, "/api/plugins/hedgehog/fabrics/", map[string]any{
			"name": name, "git_repository": mine.ID, "archive_strategy": "none",
		}); r.code != http.StatusCreated {
			t.Fatalf("create %s: %d %s", name, r.code, r.body)
		}
	}
	list := api(t, s, http.MethodGet, "/api/plugins/hedgehog/fabrics/?name=f1&git_repository_id=999", nil)
	if n := list.json(t)["count"]; n == nil || n.(interface{ String() string }).String() != "2" {
		t.Errorf("filtered fabric list count %v, want 2: HNP ignores filters", n)
	}
	if n := strings.Count(string(list.body), `"archive_strategy":"rename_with_extension"`); n != 2 {
		t.Errorf("archive_strategy forced on %d of 2 fabrics: %s", n, list.body)
	}
	if n := strings.Count(string(list.body), `"status":"planned"`); n != 2 {
		t.Errorf("status as a plain string on %d of 2 fabrics: %s", n, list.body)
	}
}
