package reconcile

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/status"
)

// TestStatusAfter walks the rows of the status table in docs/reconcile.md
// that follow a reconcile which reached git, as the fields to want (what
// setStatus then writes is the part that differs from cur).
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, statusAfter(tt.cur, tt.r)); diff != "" {
				t.Errorf("statusAfter (-want +got):\n%s", diff)
			}
		})
	}
}
