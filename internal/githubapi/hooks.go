package githubapi

import (
	"context"
	"slices"

	"github.com/google/go-github/v62/github"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// What EnsurePushHook did.
const (
	HookCreated   = "created"
	HookUpdated   = "updated"
	HookUnchanged = "unchanged"
)

// EnsurePushHook makes sure the repository has an active webhook that sends
// push events as JSON to hookURL, signed with secret, and says what it did.
// It is idempotent: a webhook is matched by its URL; one that already sends
// push events as JSON with TLS verification and a secret is left as it is
// (GitHub never shows a secret, so a changed secret is not noticed: delete
// the webhook, or change it by hand, to rotate); one that differs gets those
// settings (its other events are kept). The token needs admin rights on the
// repository (a fine-grained token or App: "Webhooks: read and write");
// without them GitHub hides the webhooks (404, class not_found) or refuses
// to create one (403, class auth).
func (g *GitHub) EnsurePushHook(ctx context.Context, repo gitport.Repo, hookURL, secret string) (string, error) {
	s, err := g.session(ctx, repo)
	if err != nil {
		return "", err
	}
	h, err := s.findHook(ctx, hookURL)
	if err != nil {
		return "", err
	}
	cfg := &github.HookConfig{URL: &hookURL, ContentType: github.String("json"), InsecureSSL: github.String("0"), Secret: &secret}
	if h == nil {
		_, _, err := s.c.Repositories.CreateHook(ctx, repo.Owner, repo.Name, &github.Hook{
			Name: github.String("web"), Config: cfg, Events: []string{"push"}, Active: github.Bool(true),
		})
		if err != nil {
			return "", s.fail("create webhook", err)
		}
		return HookCreated, nil
	}
	if pushHookOK(h) {
		return HookUnchanged, nil
	}
	events := h.Events
	if !slices.Contains(events, "push") && !slices.Contains(events, "*") {
		events = append(slices.Clone(events), "push")
	}
	if _, _, err := s.c.Repositories.EditHook(ctx, repo.Owner, repo.Name, h.GetID(), &github.Hook{
		Config: cfg, Events: events, Active: github.Bool(true),
	}); err != nil {
		return "", s.fail("update webhook", err)
	}
	return HookUpdated, nil
}

// findHook lists the repository's webhooks and returns the one whose
// config URL is hookURL, nil when none is.
func (s *session) findHook(ctx context.Context, hookURL string) (*github.Hook, error) {
	opts := &github.ListOptions{PerPage: 100}
	for {
		hooks, resp, err := s.c.Repositories.ListHooks(ctx, s.repo.Owner, s.repo.Name, opts)
		if err != nil {
			return nil, s.fail("list webhooks", err)
		}
		for _, h := range hooks {
			if h.GetConfig().GetURL() == hookURL {
				return h, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// pushHookOK tells whether a webhook already sends what the service needs.
func pushHookOK(h *github.Hook) bool {
	c := h.GetConfig()
	return h.GetActive() && (slices.Contains(h.Events, "push") || slices.Contains(h.Events, "*")) &&
		c.GetContentType() == "json" && c.GetInsecureSSL() == "0" && c.GetSecret() != ""
}
