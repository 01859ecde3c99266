package testkit

import (
	"context"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// Applier is the one method of a repository port that Apply calls
// (githubapi.GitHub and gitremote.Remote have it).
type Applier interface {
	Apply(ctx context.Context, t gitport.Target, dirs []string, plan gitport.PlanFunc) (gitport.Result, error)
}

// Apply runs port's Apply of plan on the one FGD fgdDir with a 30-second
// deadline; an empty Repo of tg is repo, an empty Branch "main", and a nil
// plan EnginePlan.
func Apply(t testing.TB, port Applier, tg gitport.Target, repo gitport.Repo, fgdDir string, plan gitport.PlanFunc) (gitport.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if tg.Repo == (gitport.Repo{}) {
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
