package cli

import (
	"bytes"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/reconcile"
)

// The output a person reads says what happened once, in plain words.
func TestOutputReadsWell(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{versionLine("v1.2.3", "abc1234", "go1.26.8"), "hnp-gitops v1.2.3 (commit abc1234, go1.26.8)"},
		{versionLine("abc1234-dirty", "abc1234", "go1.26.8"), "hnp-gitops abc1234-dirty (go1.26.8)"},
		{versionLine("dev", "unknown", "go1.26.8"), "hnp-gitops dev (go1.26.8)"},
		{these(1), "this change"},
		{these(3), "these 3 changes"},
		{changes(1), "1 change"},
		{changes(0), "0 changes"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	// A fabric that could not be read: no empty repository line, and a
	// result that does not promise a retry the command will not make.
	var b bytes.Buffer
	printOutcome(&b, reconcile.Outcome{FabricID: 7, Result: reconcile.ResultRetry})
	if want := "fabric:     7 \nresult:     failed for now (serve would retry; run reconcile again later)\n"; b.String() != want {
		t.Errorf("outcome of an unread fabric:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	printOutcome(&b, reconcile.Outcome{FabricID: 7, FabricName: "f", Repository: "github.com/o/r", Branch: "main", Directory: "d",
		Result: reconcile.ResultCommitted, Status: "initialized", Changes: 1, CommitURL: "https://github.com/o/r/commit/abc"})
	want := "fabric:     7 f\nrepository: github.com/o/r (branch main, directory \"d\")\nresult:     committed, status initialized, 1 change\ncommit:     https://github.com/o/r/commit/abc\n"
	if b.String() != want {
		t.Errorf("outcome of a commit:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	printOutcome(&b, reconcile.Outcome{FabricID: 7, FabricName: "f", Result: reconcile.ResultCommitted, Status: "error", Changes: 3,
		Rejected: []string{`raw/x.yaml#0 VPC v: fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.x"`}})
	want = "fabric:     7 f\nresult:     committed, status error, 3 changes\nrejected:   raw/x.yaml#0 VPC v: fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field \"spec.x\"\n"
	if b.String() != want {
		t.Errorf("outcome with a schema failure:\n%q\nwant\n%q", b.String(), want)
	}
}
