package githubapi

import (
	"context"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// CheckAccess reads the repository as the service's credentials see it.
// GitHub answers a token's permissions on the repository (push); an App's
// installation token gets none there, so for an App it tells only that
// the repository is readable.
func (g *GitHub) CheckAccess(ctx context.Context, repo gitport.Repo) (gitport.Access, error) {
	s, err := g.session(ctx, repo)
	if err != nil {
		return gitport.Access{}, err
	}
	r, _, err := s.c.Repositories.Get(ctx, repo.Owner, repo.Name)
	if err != nil {
		return gitport.Access{}, s.fail("get repository", err)
	}
	perms := r.GetPermissions()
	if perms == nil {
		return gitport.Access{Detail: "readable; GitHub names no permissions for this token (a GitHub App: check its Contents permission is read and write)"}, nil
	}
	if perms["push"] {
		return gitport.Access{Push: true, Known: true, Detail: "GitHub grants push"}, nil
	}
	return gitport.Access{Known: true, Detail: "GitHub grants no push to this token (Contents: read and write is needed)"}, nil
}
