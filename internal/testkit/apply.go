package testkit

import (
	"context"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitrepo"
)

// Applier is the one method of a repository port that Apply calls
// (gitrepo.GitHub and gitremote.Remote have it).
type Applier interface {
	Apply(ctx context.Context, t gitrepo.Target, dirs []string, plan gitrepo.PlanFunc) (gitrepo.Result, error)
}

// Apply runs port's Apply of plan on the one FGD fgdDir with a 30-second
// deadline; an empty Repo of tg is repo, an empty Branch "main", and a nil
// plan EnginePlan.
func Apply(t testing.TB, port Applier, tg gitrepo.Target, repo gitrepo.Repo, fgdDir string, plan gitrepo.PlanFunc) (gitrepo.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if tg.Repo == (gitrepo.Repo{}) {
		tg.Repo = repo
	}
	if tg.Branch == "" {
		tg.Branch = "main"
	}
	if plan == nil {
		plan = EnginePlan
	}
	return port.Apply(ctx, tg, []string{fgdDir}, plan)
}
