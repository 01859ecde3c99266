package gitremote_test

import (
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// The user's acceptance case over git http-backend: three files in raw/,
// one Apply, one commit laying out the FGD; a second Apply pushes nothing.
func TestApplyAcceptance(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	seed := e.seedAcceptance(t)
	e.srv.reset()

	res, err := e.apply(t, gitport.Target{}, nil)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !res.Changed || res.Attempts != 1 {
		t.Errorf("Changed=%v Attempts=%d, want true 1", res.Changed, res.Attempts)
	}
	t.Logf("first run: %d requests %v", e.srv.total(), e.srv.snapshot())
	if got := e.srv.pushes(); got != 1 {
		t.Errorf("pushes = %d, want 1", got)
	}
	log := testkit.GitLog(t, e.bare, "main")
	if len(log) != 2 {
		t.Fatalf("history has %d commits, want seed + 1:\n%s", len(log), strings.Join(log, "\n"))
	}
	if !strings.HasPrefix(log[0], res.Head+" hnp-gitops <hnp-gitops@example.com>|hnp-gitops|") || !strings.HasSuffix(log[0], "|"+seed) {
		t.Errorf("head commit = %q, want %s by hnp-gitops on top of %s", log[0], res.Head, seed)
	}
	if want := gitremote.CommitURL(e.repo, res.Head); res.CommitURL != want || want == "" {
		t.Errorf("CommitURL = %q, want %q", res.CommitURL, want)
	}
	msg := testkit.Git(t, ".", "--git-dir", e.bare, "log", "-1", "--format=%B%n--%n%aI %cI", "main")
	if !strings.Contains(msg, "NetBox-Object: netbox_hedgehog.hedgehogfabric:1\n") || !strings.Contains(msg, "2026-11-26T06:00:00+00:00 2026-11-26T06:00:00+00:00") {
		t.Errorf("commit message and dates:\n%s", msg)
	}
	fsck(t, e.bare)

	files := testkit.Clone(t, e.bare, "main")
	testkit.CheckAcceptanceLayout(t, files, fgdDir)
	if files["README.md"] != "# fabrics\n" {
		t.Errorf("README.md outside the FGD changed: %q", files["README.md"])
	}

	// Second run: nothing to do, no push at all.
	e.srv.reset()
	res2, err := e.apply(t, gitport.Target{}, nil)
	if err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	t.Logf("second run: %d requests %v", e.srv.total(), e.srv.snapshot())
	if res2.Changed || res2.Head != res.Head || res2.Attempts != 1 {
		t.Errorf("second run Changed=%v Head=%s Attempts=%d, want false %s 1", res2.Changed, res2.Head, res2.Attempts, res.Head)
	}
	if e.srv.count("GET refs git-receive-pack") != 0 || e.srv.pushes() != 0 {
		t.Errorf("second run talked to receive-pack: %v", e.srv.snapshot())
	}
	if got := len(testkit.GitLog(t, e.bare, "main")); got != 2 {
		t.Errorf("history has %d commits after the second run, want 2", got)
	}
}
