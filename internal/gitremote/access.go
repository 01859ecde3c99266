package gitremote

import (
	"context"
	"errors"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// CheckAccess asks the git server for its receive-pack advertisement, the
// first step of a push, with the service's credentials: a server that
// answers it accepts pushes from them (it has not seen what would be
// pushed, so branch protection is not told). Nothing is sent.
func (r *Remote) CheckAccess(ctx context.Context, repo gitport.Repo) (gitport.Access, error) {
	s, err := r.session(repo)
	if err != nil {
		return gitport.Access{}, err
	}
	rp, err := s.cl.NewReceivePackSession(s.ep, s.auth)
	if err != nil {
		return gitport.Access{}, s.fail("open receive-pack session", err)
	}
	defer rp.Close()
	_, err = rp.AdvertisedReferencesContext(ctx)
	switch {
	case err == nil, errors.Is(err, transport.ErrEmptyRemoteRepository):
		return gitport.Access{Push: true, Known: true, Detail: "the server offers receive-pack (push)"}, nil
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return gitport.Access{Known: true, Detail: "the server refuses receive-pack (push) to these credentials"}, nil
	}
	return gitport.Access{}, s.fail("list references for push", err)
}
