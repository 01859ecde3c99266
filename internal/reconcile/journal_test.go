package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/netbox"
	"github.com/githedgehog/hnp-gitops/internal/status"
)

// fakeJournal keeps entries per fabric, newest first, like NetBox's
// ordering.
type fakeJournal struct {
	mu       sync.Mutex
	entries  map[int64][]fabric.JournalEntry
	reads    int
	readErr  error
	writeErr error
}

func newFakeJournal() *fakeJournal { return &fakeJournal{entries: map[int64][]fabric.JournalEntry{}} }

func (j *fakeJournal) JournalEntries(_ context.Context, id int64, limit int) ([]fabric.JournalEntry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.reads++
	if j.readErr != nil {
		return nil, j.readErr
	}
	e := j.entries[id]
	return slices.Clone(e[:min(limit, len(e))]), nil
}

func (j *fakeJournal) AddJournalEntry(_ context.Context, id int64, e fabric.JournalEntry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.writeErr != nil {
		return j.writeErr
	}
	j.entries[id] = append([]fabric.JournalEntry{e}, j.entries[id]...)
	return nil
}

func (j *fakeJournal) of(id int64) []fabric.JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.entries[id])
}

func (j *fakeJournal) readCount() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.reads
}

const commitA = "https://github.com/o/a/commit/0123456789abcdef0123456789abcdef01234567"

func committed() journalFacts {
	return journalFacts{
		Outcome: Outcome{FabricID: 10, Repository: "github.com/o/a", Branch: "main", Directory: "gitops/f1",
			CommitURL: commitA, Changes: 52},
		want: status.Initialized, landed: true, headURL: commitA, statusChanged: true,
		counts: []string{"Documents: 48 managed, 0 unmanaged, 0 kept in place.", "  managed/switches: 6",
			"Source files: 3 ingested, 0 moved to unmanaged/, 0 kept in place.", "Files changed: 52."},
	}
}

func TestJournalFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		facts    func() journalFacts
		none     bool
		kind     fabric.JournalKind
		want     []string // substrings of the comments
		wantNot  []string
		wantText string // the whole comments, when set
	}{
		{
			name: "no-op",
			facts: func() journalFacts {
				f := committed()
				f.landed, f.statusChanged, f.CommitURL = false, false, ""
				return f
			},
			none: true,
		},
		{
			name:  "commit",
			facts: committed,
			kind:  fabric.JournalSuccess,
			wantText: "**hnp-gitops** · status **initialized**\n\n" +
				"Committed [commit `0123456789ab`](" + commitA + ") to directory `gitops/f1` of `github.com/o/a`, branch `main`: 52 files changed.\n\n" +
				"- Documents: 48 managed, 0 unmanaged, 0 kept in place.\n  - managed/switches: 6\n" +
				"- Source files: 3 ingested, 0 moved to unmanaged/, 0 kept in place.\n- Files changed: 52.",
		},
		{
			name: "pull request",
			facts: func() journalFacts {
				f := committed()
				f.PullRequestURL = "https://github.com/o/a/pull/7"
				return f
			},
			kind: fabric.JournalSuccess,
			want: []string{"Review it in [the pull request](https://github.com/o/a/pull/7)."},
		},
		{
			name: "status changed without a commit",
			facts: func() journalFacts {
				f := committed()
				f.landed, f.CommitURL = false, ""
				return f
			},
			kind: fabric.JournalInfo,
			want: []string{"status **initialized**", "Nothing to commit: the directory `gitops/f1` of `github.com/o/a`, branch `main` is in its target state at [commit `0123456789ab`]"},
		},
		{
			name: "documents not placed",
			facts: func() journalFacts {
				f := committed()
				f.want = status.Error
				for i := range 7 {
					f.Conflicts = append(f.Conflicts, fmt.Sprintf("Switch/s%d twice in raw/a_%d.yaml and raw/b.yaml", i, i))
				}
				f.Error = "Some documents were not placed: ..."
				return f
			},
			kind:    fabric.JournalWarning,
			want:    []string{"status **error**", "7 documents were not placed", "- Switch/s0 twice in raw/a\\_0.yaml", "- Switch/s4 twice", "- and 2 more", "Committed"},
			wantNot: []string{"Switch/s5", "Some documents were not placed"},
		},
		{
			name: "documents failed their schema",
			facts: func() journalFacts {
				f := committed()
				f.want = status.Error
				for i := range 6 {
					f.Rejected = append(f.Rejected, fmt.Sprintf(`raw/v.yaml#%d VPC v%d: fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz"`, i, i))
				}
				f.Error = schemaLead + "..."
				return f
			},
			kind:    fabric.JournalWarning,
			want:    []string{"status **error**", "6 documents failed their CRD schema and were moved to unmanaged/", `- raw/v.yaml\#0 VPC v0: fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz"`, "- and 1 more", "Committed"},
			wantNot: []string{"VPC v5", schemaLead},
		},
		{
			name: "status refused",
			facts: func() journalFacts {
				f := committed()
				f.StatusWriteError = "write status of fabric f1: NetBox refused the write because HNP's fabric fields active_sync_tasks lack blank=True"
				return f
			},
			kind: fabric.JournalWarning,
			want: []string{"status **initialized**", "NetBox did not take the status custom fields, so the fabric does not show this status: write status", "active\\_sync\\_tasks", "Committed"},
		},
		{
			name: "terminal failure",
			facts: func() journalFacts {
				return journalFacts{Outcome: Outcome{FabricID: 10, Error: "fabric has no git repository: choose one in NetBox"},
					want: status.Error, failed: true}
			},
			kind:     fabric.JournalDanger,
			wantText: "**hnp-gitops** · status **error**\n\nfabric has no git repository: choose one in NetBox",
		},
		{
			name: "retryable failure",
			facts: func() journalFacts {
				return journalFacts{Outcome: Outcome{FabricID: 10, Repository: "github.com/o/a", Branch: "main",
					Error: "Could not reconcile ...: GitHub answered 502. The service will retry."}, want: status.Error, failed: true, retry: true}
			},
			kind: fabric.JournalWarning,
			want: []string{"GitHub answered 502. The service will retry.", "The directory `/` of `github.com/o/a`, branch `main`."},
		},
		{
			name: "text from elsewhere cannot format",
			facts: func() journalFacts {
				return journalFacts{Outcome: Outcome{FabricID: 10, Error: "bad *file* <script>x</script> [l](javascript:x)\n# heading"},
					want: status.InvalidStructure, failed: true}
			},
			kind:    fabric.JournalDanger,
			want:    []string{"status **invalid_structure**", `bad \*file\* \<script\>x\</script\> \[l\](javascript:x) \# heading`},
			wantNot: []string{"<script>", "\n#"},
		},
		{
			name: "a commit URL that is not a web URL is not linked",
			facts: func() journalFacts {
				f := committed()
				f.CommitURL = "javascript:alert(1)"
				return f
			},
			kind:    fabric.JournalSuccess,
			want:    []string{"Committed the branch head to"},
			wantNot: []string{"javascript:", "]("},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			jt, ok := journalFor(tt.facts())
			if ok == tt.none {
				t.Fatalf("journalFor: entry %v, want %v", ok, !tt.none)
			}
			if tt.none {
				return
			}
			if jt.entry.Kind != tt.kind {
				t.Errorf("kind = %s, want %s", jt.entry.Kind, tt.kind)
			}
			c := jt.entry.Comments
			if !strings.HasPrefix(c, journalMarker) || !strings.HasPrefix(c, jt.state) {
				t.Errorf("comments do not start with the marker and the state:\n%s", c)
			}
			if tt.wantText != "" {
				if diff := cmp.Diff(tt.wantText, c); diff != "" {
					t.Errorf("comments (-want +got):\n%s", diff)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(c, w) {
					t.Errorf("comments lack %q:\n%s", w, c)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(c, w) {
					t.Errorf("comments hold %q:\n%s", w, c)
				}
			}
		})
	}
}

// A run that lands no commit says nothing new when the newest entry of the
// service has its state, whatever commit that entry reported; a user's
// entry in between does not count.
func TestRepeats(t *testing.T) {
	t.Parallel()
	success, _ := journalFor(committed())
	noCommit := committed()
	noCommit.landed = false
	again, _ := journalFor(noCommit)
	failure := func(msg string) journalText {
		jt, _ := journalFor(journalFacts{Outcome: Outcome{Error: msg}, want: status.Error, failed: true})
		return jt
	}
	user := fabric.JournalEntry{Kind: fabric.JournalInfo, Comments: "rack moved; " + journalMarker}
	tests := []struct {
		name   string
		recent []fabric.JournalEntry
		state  string
		want   bool
	}{
		{"empty journal", nil, again.state, false},
		{"after the commit that reached the state", []fabric.JournalEntry{success.entry}, again.state, true},
		{"a user's entry in between", []fabric.JournalEntry{user, success.entry}, again.state, true},
		{"only users' entries", []fabric.JournalEntry{user}, again.state, false},
		{"the same failure", []fabric.JournalEntry{failure("boom").entry}, failure("boom").state, true},
		{"another failure", []fabric.JournalEntry{failure("boom").entry}, failure("bang").state, false},
		{"a failure whose message extends the last", []fabric.JournalEntry{failure("boom, and more").entry}, failure("boom").state, false},
		{"recovered after a failure", []fabric.JournalEntry{failure("boom").entry, success.entry}, again.state, false},
		{"NetBox gave CRLF back", []fabric.JournalEntry{{Comments: strings.ReplaceAll(success.entry.Comments, "\n", "\r\n")}}, again.state, true},
	}
	for _, tt := range tests {
		if got := repeats(tt.recent, tt.state); got != tt.want {
			t.Errorf("%s: repeats = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// The journal through the controller: a commit writes a success entry, a
// no-op none, a failure one danger entry however often it repeats, and the
// recovery one again.
func TestJournalThroughReconciles(t *testing.T) {
	t.Parallel()
	j := newFakeJournal()
	h := newHarness(t, func(o *Options) { o.Journal = j })
	h.nb.addRepo(1, "https://github.com/o/a.git")
	h.nb.addFabric(10, 1, "/gitops/fab/", "")
	h.repo.put(repoA, "gitops/fab/raw/vpc.yaml", "kind: VPC\n")
	ctx := context.Background()
	kinds := func() []fabric.JournalKind {
		var out []fabric.JournalKind
		for _, e := range j.of(10) {
			out = append(out, e.Kind)
		}
		return out
	}

	if _, err := h.c.ReconcileNow(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]fabric.JournalKind{fabric.JournalSuccess}, kinds()); diff != "" {
		t.Fatalf("after the first commit (-want +got):\n%s", diff)
	}
	if e := j.of(10)[0]; !strings.Contains(e.Comments, "https://github.com/o/a/commit/") {
		t.Errorf("the success entry has no commit link:\n%s", e.Comments)
	}
	if n := j.readCount(); n != 0 {
		t.Errorf("a commit read the journal %d times; a new commit is never a repeat", n)
	}
	// No-op: no entry, not even a read.
	if _, err := h.c.ReconcileNow(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if len(j.of(10)) != 1 || j.readCount() != 0 {
		t.Errorf("a no-op wrote %d entries, read %d times; want none", len(j.of(10))-1, j.readCount())
	}
	// The same terminal failure three times: one entry.
	h.repo.errs[repoA] = []error{authError(), authError(), authError()}
	for range 3 {
		if _, err := h.c.ReconcileNow(ctx, 10); err == nil {
			t.Fatal("want a failure")
		}
	}
	if diff := cmp.Diff([]fabric.JournalKind{fabric.JournalDanger, fabric.JournalSuccess}, kinds()); diff != "" {
		t.Errorf("after three identical failures (-want +got):\n%s", diff)
	}
	// Healed without a commit: one info entry.
	if _, err := h.c.ReconcileNow(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]fabric.JournalKind{fabric.JournalInfo, fabric.JournalDanger, fabric.JournalSuccess}, kinds()); diff != "" {
		t.Errorf("after the recovery (-want +got):\n%s", diff)
	}
}

func authError() error {
	return &gitport.Error{Class: gitport.ClassAuth, Repo: gitport.Repo{Host: "github.com", Owner: "o", Name: "a"},
		Op: "get ref heads/main", StatusCode: 401, Message: "Bad credentials"}
}

// On HNP 705549aa NetBox refuses every status write: the journal is then
// how the status reaches NetBox users. The entry is written with the
// commit, and the retries of the status write (no-ops in git) add none.
func TestJournalWhenTheStatusIsRefused(t *testing.T) {
	t.Parallel()
	j := newFakeJournal()
	h := newHarness(t, func(o *Options) { o.Journal = j })
	h.nb.addRepo(1, "https://github.com/o/a.git")
	h.nb.addFabric(10, 1, "/", "")
	blank := &netbox.APIError{Method: "PATCH", StatusCode: 400, Fields: map[string][]string{"active_sync_tasks": {"This field cannot be blank."}}}
	h.nb.patchErr = []error{blank, blank, blank, blank, blank, blank}
	ctx := context.Background()
	for range 3 {
		out, _ := h.c.ReconcileNow(ctx, 10)
		if out.StatusWriteError == "" {
			t.Fatalf("outcome = %+v, want the status refused", out)
		}
	}
	entries := j.of(10)
	if len(entries) != 1 || entries[0].Kind != fabric.JournalWarning {
		t.Fatalf("journal = %+v, want one warning", entries)
	}
	for _, w := range []string{"status **initialized**", "NetBox did not take the status custom fields", "blank=True", "Committed"} {
		if !strings.Contains(entries[0].Comments, w) {
			t.Errorf("entry lacks %q:\n%s", w, entries[0].Comments)
		}
	}
	if h.repo.commitCount(repoA) != 1 {
		t.Errorf("commits = %d, want 1", h.repo.commitCount(repoA))
	}
}

// A journal NetBox refuses changes nothing of the reconcile; one that
// cannot be read is not written (it could not tell a repeat), and counted.
func TestJournalFailuresDoNotFailTheReconcile(t *testing.T) {
	t.Parallel()
	j := newFakeJournal()
	j.writeErr = &netbox.APIError{Method: "POST", StatusCode: 403, Detail: "You do not have permission to perform this action."}
	j.readErr = j.writeErr
	h := newHarness(t, func(o *Options) { o.Journal = j })
	h.nb.addRepo(1, "https://github.com/o/a.git")
	h.nb.addFabric(10, 1, "/", "")
	out, err := h.c.ReconcileNow(context.Background(), 10)
	if err != nil || out.Result != ResultCommitted || out.Status != status.Initialized {
		t.Errorf("ReconcileNow = %+v, %v; want committed and initialized", out, err)
	}
	h.repo.errs[repoA] = []error{authError()}
	if _, err := h.c.ReconcileNow(context.Background(), 10); !errors.Is(err, ErrReconcile) {
		t.Errorf("failure: %v", err)
	}
	if j.readCount() != 1 || len(j.of(10)) != 0 {
		t.Errorf("reads %d, entries %d; want the failure's read and no entry", j.readCount(), len(j.of(10)))
	}
}

// A NetBox where `netbox setup` never ran refuses the status fields and
// stops the reconcile before git: the journal still tells why.
func TestJournalWhenNetBoxIsNotSetUp(t *testing.T) {
	t.Parallel()
	j := newFakeJournal()
	h := newHarness(t, func(o *Options) { o.Journal = j })
	h.nb.addRepo(1, "https://github.com/o/a.git")
	h.nb.addFabric(10, 1, "/", "")
	h.nb.patchErr = []error{&netbox.APIError{Method: "PATCH", StatusCode: 400, Fields: map[string][]string{
		"custom_fields": {"Unknown field name 'gitops_directory_status' in custom field data."}}}}
	if _, err := h.c.ReconcileNow(context.Background(), 10); !errors.Is(err, ErrReconcile) {
		t.Fatalf("ReconcileNow: %v, want ErrReconcile", err)
	}
	got := j.of(10)
	if len(got) != 1 || got[0].Kind != fabric.JournalDanger || !strings.Contains(got[0].Comments, "netbox setup") {
		t.Errorf("journal = %+v; want one danger entry naming `netbox setup`", got)
	}
	if h.repo.commitCount(repoA) != 0 {
		t.Errorf("commits = %d, want none before setup", h.repo.commitCount(repoA))
	}
}
