package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestJournal: the fabric's NetBox journal gets one entry per reconcile
// that changes something or fails. A commit writes a success entry with
// the commit link and the counts; an update that changes nothing writes
// none; a failure one danger entry however often it repeats; the fix one
// success entry again.
func TestJournal(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	nb := s.env.NetBox
	journal := func(id int64) []netboxsim.JournalEntry { return nb.Journal(netboxsim.FabricObjectType, id) }

	// Success.
	f, bare, _ := s.initFabric(t)
	head := strings.TrimSpace(s.git(t, bare, "rev-parse", "main"))
	eventually(t, 10*time.Second, "one journal entry", func() bool { return len(journal(f.ID)) == 1 })
	e := journal(f.ID)[0]
	if e.Kind != "success" {
		t.Errorf("kind = %s, want success:\n%s", e.Kind, e.Comments)
	}
	for _, w := range []string{"**hnp-gitops** · status **initialized**", "/commit/" + head, "commit `" + head[:12] + "`",
		"Documents: 48 managed", "Source files: 3 ingested"} {
		if !strings.Contains(e.Comments, w) {
			t.Errorf("the success entry lacks %q:\n%s", w, e.Comments)
		}
	}

	// No-op: an update that changes nothing.
	unchanged := metric(t, s.svc, `hnp_gitops_reconciles_total{result="unchanged"}`)
	if _, err := nb.UpdateFabric(f.ID, map[string]any{"description": "edited"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the no-op reconcile", func() bool {
		return metric(t, s.svc, `hnp_gitops_reconciles_total{result="unchanged"}`) > unchanged
	})
	if got := journal(f.ID); len(got) != 1 {
		t.Errorf("a no-op wrote a journal entry: %+v", got[0])
	}

	// Failure, three times: a repository NetBox has and GitHub has not.
	repo, err := nb.CreateRepository(netboxsim.Repository{Name: "missing", URL: harness.RepoURL("missing"), Provider: "github",
		AuthenticationType: "token", DefaultBranch: "main", ValidateSSL: true, HasCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	bad := s.createFabric(t, "fabric-2", repo.ID, "gitops/two")
	s.waitStatus(t, bad.ID, status.Error, 30*time.Second)
	for i := range 2 {
		failed := metric(t, s.svc, `hnp_gitops_reconciles_total{result="failed"}`)
		if _, err := nb.UpdateFabric(bad.ID, map[string]any{"description": fmt.Sprintf("retry %d", i)}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "the failure again", func() bool {
			return metric(t, s.svc, `hnp_gitops_reconciles_total{result="failed"}`) > failed
		})
	}
	eventually(t, 10*time.Second, "the repeats counted", func() bool {
		return metric(t, s.svc, `hnp_gitops_journal_entries_total{result="repeated"}`) >= 2
	})
	got := journal(bad.ID)
	if len(got) != 1 || got[0].Kind != "danger" || !strings.Contains(got[0].Comments, "status **error**") ||
		!strings.Contains(got[0].Comments, "hedgehog/missing") {
		t.Fatalf("journal after three identical failures = %+v; want one danger entry naming the repository", got)
	}

	// Fixed: the repository appears on GitHub; the next run commits.
	if _, err := s.env.GitHub.CreateRepo(harness.Owner, "missing", true, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.env.GitHub.SeedFiles(harness.Owner, "missing", "main", map[string][]byte{"README.md": []byte("# x\n")}, "Seed"); err != nil {
		t.Fatal(err)
	}
	if _, err := nb.UpdateFabric(bad.ID, map[string]any{"description": "fixed"}); err != nil {
		t.Fatal(err)
	}
	s.waitStatus(t, bad.ID, status.Initialized, 30*time.Second)
	eventually(t, 10*time.Second, "the recovery's entry", func() bool { return len(journal(bad.ID)) == 2 })
	if got := journal(bad.ID); got[0].Kind != "success" || got[1].Kind != "danger" {
		t.Errorf("journal kinds after the fix = %s, %s; want success, danger", got[0].Kind, got[1].Kind)
	}
	if n := metric(t, s.svc, `hnp_gitops_journal_entries_total{result="failed"}`); n != 0 {
		t.Errorf("journal_entries_total{failed} = %v", n)
	}
}

// TestJournalWhenHNPRefusesTheStatus: HNP 705549aa refuses every status
// write (docs/real-netbox.md): the journal is how the status reaches NetBox
// users. The commit's entry says the status and why NetBox does not show
// it; the retries of the status write add none.
func TestJournalWhenHNPRefusesTheStatus(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{NetBox: netboxsim.Options{HNPQuirks: true, HNPBlankJSONFields: true}})
	nb := s.env.NetBox
	repoID, bare := s.newRepo(t)
	f, err := nb.CreateFabricDirect(netboxsim.Fabric{Name: "fabric-1", GitRepository: repoID, GitOpsDirectory: fgdPath})
	if err != nil {
		t.Fatal(err)
	}
	// No webhook for a fabric made outside the API: ask the service.
	eventually(t, 30*time.Second, "the commit", func() bool {
		s.reconcileNow(t, f.ID)
		return s.commits(t, bare) == 2
	})
	eventually(t, 10*time.Second, "one journal entry", func() bool { return len(nb.Journal(netboxsim.FabricObjectType, f.ID)) == 1 })
	// The retries of the status write: no-ops in git, the status refused
	// again (the metric counts a reconcile once its journal is written).
	unchanged := metric(t, s.svc, `hnp_gitops_reconciles_total{result="unchanged"}`)
	s.reconcileNow(t, f.ID)
	eventually(t, 10*time.Second, "a reconcile that finds nothing to commit", func() bool {
		return metric(t, s.svc, `hnp_gitops_reconciles_total{result="unchanged"}`) > unchanged
	})
	if n := metric(t, s.svc, `hnp_gitops_journal_entries_total{result="repeated"}`); n < 1 {
		t.Errorf("journal_entries_total{repeated} = %v, want the retry's entry recognised as a repeat", n)
	}
	got := nb.Journal(netboxsim.FabricObjectType, f.ID)
	if len(got) != 1 || got[0].Kind != "warning" {
		t.Fatalf("journal = %+v; want one warning", got)
	}
	for _, w := range []string{"status **initialized**", "NetBox did not take the status custom fields", "blank=True", "Committed"} {
		if !strings.Contains(got[0].Comments, w) {
			t.Errorf("the entry lacks %q:\n%s", w, got[0].Comments)
		}
	}
}

// reconcileNow asks the service for a reconcile of a fabric through its
// API (queued: the answer is 202).
func (s *stack) reconcileNow(t *testing.T, id int64) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/fabrics/%d/reconcile", s.svc.HTTPURL, id), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+harness.APIToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := drain(resp); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("reconcile: %d %s", resp.StatusCode, body)
	}
}
