package githubapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A tree answer is decoded entry by entry: members the port does not read
// (url, each entry's url) are skipped, keep picks the entries, and a
// malformed answer is an error, not a short listing.
func TestDecodeTree(t *testing.T) {
	t.Parallel()
	body := `{"sha":"t1","url":"https://api.github.com/x","tree":[` +
		`{"path":"README.md","mode":"100644","type":"blob","sha":"b0","size":3,"url":"u0"},` +
		`{"path":"fab/a","mode":"040000","type":"tree","sha":"t2","url":"u1"},` +
		`{"path":"fab/a/raw/x.yaml","mode":"100644","type":"blob","sha":"b1","size":12,"url":"u2"},` +
		`{"path":"other/y","mode":"100755","type":"blob","sha":"b2","size":1,"url":"u3"}` +
		`],"truncated":true}`
	got, err := decodeTree(json.NewDecoder(strings.NewReader(body)), func(p string) bool { return underAny(p, []string{"fab/a"}) })
	if err != nil {
		t.Fatal(err)
	}
	want := &tree{SHA: "t1", Truncated: true, Entries: []treeEntry{{Path: "fab/a/raw/x.yaml", Mode: "100644", Type: "blob", SHA: "b1", Size: 12}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	all, err := decodeTree(json.NewDecoder(strings.NewReader(body)), nil)
	if err != nil || len(all.Entries) != 4 {
		t.Errorf("without keep: %d entries, %v; want 4", len(all.Entries), err)
	}
	for _, bad := range []string{``, `[]`, `{"tree":{}}`, `{"tree":[{"path":1}]}`, `{"sha":"t1","tree":[`} {
		if _, err := decodeTree(json.NewDecoder(strings.NewReader(bad)), nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
