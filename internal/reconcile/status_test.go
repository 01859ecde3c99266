package reconcile

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/status"
)

// TestStatusAfter walks the rows of the status table in docs/reconcile.md,
// as the fields to want (what setStatus then writes is the part that
// differs from cur): the failures that did not reach git, then the
// outcomes of a reconcile that did.
func TestStatusAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC)
	const nowText = "2026-12-04T14:00:00+00:00"
	const link = "https://github.com/o/r/commit/abc"
	initialized := map[string]string{status.FieldStatus: "initialized", status.FieldError: "", status.FieldCommitURL: "https://github.com/o/r/commit/old"}
	tests := []struct {
		name string
		cur  map[string]string
		r    applied
		want map[string]string
	}{
		{"retryable failure (NetBox, GitHub, network)", initialized, applied{failed: status.Error, conflict: "github.com/o/r: 503"},
			map[string]string{status.FieldStatus: "error", status.FieldError: "github.com/o/r: 503"}},
		{"no git repository", map[string]string{status.FieldStatus: "not_initialized"}, applied{failed: status.Error, conflict: "fabric has no git repository: choose one in NetBox"},
			map[string]string{status.FieldStatus: "error", status.FieldError: "fabric has no git repository: choose one in NetBox"}},
		{"invalid directory", map[string]string{status.FieldStatus: "initializing"}, applied{failed: status.InvalidStructure, conflict: "gitops_directory: .. not allowed"},
			map[string]string{status.FieldStatus: "invalid_structure", status.FieldError: "gitops_directory: .. not allowed"}},
		{"changed and committed", map[string]string{status.FieldStatus: "initializing"}, applied{changed: true, link: link, now: now},
			map[string]string{status.FieldStatus: "initialized", status.FieldError: "", status.FieldCommitURL: link, status.FieldLastSync: nowText}},
		{"nothing to commit after an error", map[string]string{status.FieldStatus: "error", status.FieldError: "boom"}, applied{link: link, now: now},
			map[string]string{status.FieldStatus: "initialized", status.FieldError: "", status.FieldLastSync: nowText, status.FieldCommitURL: link}},
		{"nothing to commit after an error, commit URL kept", map[string]string{status.FieldStatus: "error", status.FieldError: "boom", status.FieldCommitURL: "x"}, applied{link: link, now: now},
			map[string]string{status.FieldStatus: "initialized", status.FieldError: "", status.FieldLastSync: nowText}},
		{"nothing to commit, already initialized: nothing new", initialized, applied{link: link, now: now},
			map[string]string{status.FieldStatus: "initialized", status.FieldError: ""}},
		{"conflict, committed", map[string]string{status.FieldStatus: "initializing"}, applied{changed: true, link: link, conflict: "c", now: now},
			map[string]string{status.FieldStatus: "error", status.FieldError: "c", status.FieldCommitURL: link, status.FieldLastSync: nowText}},
		{"conflict, nothing to commit", initialized, applied{link: link, conflict: "c", now: now},
			map[string]string{status.FieldStatus: "error", status.FieldError: "c"}},
		{"schema failures, committed", map[string]string{status.FieldStatus: "initializing"}, applied{changed: true, link: link, conflict: schemaLead + "x", now: now},
			map[string]string{status.FieldStatus: "error", status.FieldError: schemaLead + "x", status.FieldCommitURL: link, status.FieldLastSync: nowText}},
		{"schema failures reported, nothing to commit: the report stays", map[string]string{status.FieldStatus: "error", status.FieldError: schemaLead + "x"}, applied{link: link, now: now},
			map[string]string{status.FieldStatus: "error", status.FieldError: schemaLead + "x"}},
		{"schema failures reported, then a change lands", map[string]string{status.FieldStatus: "error", status.FieldError: schemaLead + "x"}, applied{changed: true, link: link, now: now},
			map[string]string{status.FieldStatus: "initialized", status.FieldError: "", status.FieldCommitURL: link, status.FieldLastSync: nowText}},
		{"schema failures reported, the user asked again (initializing)", map[string]string{status.FieldStatus: "initializing", status.FieldError: schemaLead + "x"}, applied{link: link, now: now},
			map[string]string{status.FieldStatus: "initialized", status.FieldError: "", status.FieldLastSync: nowText, status.FieldCommitURL: link}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, statusAfter(tt.cur, tt.r)); diff != "" {
				t.Errorf("statusAfter (-want +got):\n%s", diff)
			}
		})
	}
}
