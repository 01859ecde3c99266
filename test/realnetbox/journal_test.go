package realnetbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// journalEntry is an entry of a fabric's NetBox journal, as NetBox gives
// it to a user.
type journalEntry struct {
	ID   int64 `json:"id"`
	Kind struct {
		Value string `json:"value"`
	} `json:"kind"`
	Comments string `json:"comments"`
}

// journal reads a fabric's journal with the superuser's token, in its full
// representation (the one NetBox's UI and a user's script see), newest
// first.
func (s *suite) journal(t *testing.T, id int64) []journalEntry {
	t.Helper()
	code, body := s.adminAPI(t, http.MethodGet,
		fmt.Sprintf("extras/journal-entries/?assigned_object_type=netbox_hedgehog.hedgehogfabric&assigned_object_id=%d&limit=100", id), nil)
	var page struct {
		Results []journalEntry `json:"results"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &page) != nil {
		t.Fatalf("journal of fabric %d: %d %s", id, code, body)
	}
	return page.Results
}

func journalText(entries []journalEntry) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "--- #%d %s\n%s\n", e.ID, e.Kind.Value, e.Comments)
	}
	return b.String()
}

// checkJournalSuccess: the commit wrote one journal entry on the fabric,
// with the commit link and the counts. With stock HNP, whose NetBox refuses
// the status custom fields, the entry is how the status reaches NetBox
// users: a warning that says the status and why the fields do not show it.
func (s *suite) checkJournalSuccess(t *testing.T, id int64, head string) {
	t.Helper()
	var got []journalEntry
	eventually(t, 20*time.Second, "the commit's journal entry", func() bool {
		got = s.journal(t, id)
		return len(got) > 0
	})
	// Let the retries of a refused status write run.
	time.Sleep(3 * time.Second)
	got = s.journal(t, id)
	if len(got) != 1 {
		t.Fatalf("journal of fabric %d: %d entries, want 1:\n%s", id, len(got), journalText(got))
	}
	want, kind := []string{"**hnp-gitops** · status **initialized**", "/commit/" + head, "Documents: 48 managed"}, "success"
	if s.tg.stockHNP {
		want, kind = append(want, "NetBox did not take the status custom fields", "blank=True"), "warning"
	}
	e := got[0]
	if e.Kind.Value != kind {
		t.Errorf("journal entry kind = %s, want %s", e.Kind.Value, kind)
	}
	for _, w := range want {
		if !strings.Contains(e.Comments, w) {
			t.Errorf("journal entry lacks %q:\n%s", w, e.Comments)
		}
	}
}

// checkJournalFailure: a failure wrote one danger entry naming the cause,
// and its repeats (the resync runs the fabric again every 2 s) none.
func (s *suite) checkJournalFailure(t *testing.T, id int64, cause string) {
	t.Helper()
	eventually(t, 20*time.Second, "the failure's journal entry", func() bool { return len(s.journal(t, id)) > 0 })
	failed := s.metric(t, `hnp_gitops_reconciles_total{result="failed"}`)
	eventually(t, 30*time.Second, "the failure repeated twice", func() bool {
		return s.metric(t, `hnp_gitops_reconciles_total{result="failed"}`) >= failed+2
	})
	got := s.journal(t, id)
	if len(got) != 1 || got[0].Kind.Value != "danger" || !strings.Contains(got[0].Comments, "status **error**") ||
		!strings.Contains(got[0].Comments, cause) {
		t.Errorf("journal after a repeated failure: %d entries, want one danger naming %q:\n%s", len(got), cause, journalText(got))
	}
	if n := s.metric(t, `hnp_gitops_journal_entries_total{result="repeated"}`); n < 2 {
		t.Errorf("journal_entries_total{repeated} = %v, want >= 2", n)
	}
}
