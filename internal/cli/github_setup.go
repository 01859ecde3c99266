package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/githedgehog/hnp-gitops/internal/config"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/netbox"
)

// errGitHubSetupFailed is the error of a github setup run with a failed
// repository (exit 1).
var errGitHubSetupFailed = errors.New("github setup: some repositories failed")

// newGitHubCmd is the parent of the commands that configure GitHub.
func newGitHubCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "github",
		Short: "Configure GitHub for hnp-gitops",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newGitHubSetupCmd(env))
	return cmd
}

func newGitHubSetupCmd(env *Env) *cobra.Command {
	var (
		cfg        config.Config
		webhookURL string
		extra      []string
	)
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Create the push webhook of every fabric repository on GitHub, idempotently",
		Long: `setup makes every GitHub repository that holds a fabric's GitOps directory
send its pushes to hnp-gitops: a repository webhook posting push events as
JSON to --webhook-url (<public URL>/webhooks/git), signed with the git
webhook secret (--git-webhook-secret-file, the same file serve reads).

The repositories are the git repositories of the fabrics in NetBox, plus
those named with --repo (owner/name on github.com, or a repository URL).
A webhook is found by its URL: a missing one is created (GitHub pings it),
one that differs (not active, no push event, form bodies, TLS verification
off, no secret) is corrected keeping its other events, a matching one is
left as it is: a second run changes nothing. GitHub never shows a secret, so
a changed secret is not noticed; delete the webhook to rotate it.
Repositories on hosts that are not GitHub (GitLab, Gitea) are listed as
skipped: add their webhook by hand (docs/git-webhooks.md).

It uses the service's git credentials (the same flags as serve). The token
or App needs admin rights on the repository (fine-grained token or App:
"Webhooks: read and write"); without them the repository is reported as
failed and the command exits 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.LoadSecrets(nil); err != nil {
				return usagef("%w", err)
			}
			if u, err := url.Parse(webhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return usagef("--webhook-url is required: the URL at which GitHub reaches the service's /webhooks/git")
			}
			if cfg.GitWebhookSecret == "" {
				return usagef("no git webhook secret: set --git-webhook-secret-file (or %s)", EnvName("git-webhook-secret-file"))
			}
			repos, err := setupRepos(cmd.Context(), &cfg, extra)
			if err != nil {
				return err
			}
			return ensureHooks(cmd.Context(), &cfg, env.Stdout, repos, webhookURL)
		},
	}
	netboxFlags(cmd, &cfg)
	_ = cmd.Flags().MarkHidden("service-url")
	_ = cmd.Flags().MarkHidden("webhook-secret")
	_ = cmd.Flags().MarkHidden("webhook-secret-file")
	tmp := pflag.NewFlagSet("config", pflag.ContinueOnError)
	cfg.RegisterFlags(tmp)
	for _, name := range []string{"git-webhook-secret", "git-webhook-secret-file"} {
		cmd.Flags().AddFlag(tmp.Lookup(name))
	}
	git := pflag.NewFlagSet("git", pflag.ContinueOnError)
	cfg.RegisterGitFlags(git)
	git.VisitAll(func(f *pflag.Flag) {
		if cmd.Flags().Lookup(f.Name) == nil {
			cmd.Flags().AddFlag(f)
		}
	})
	cmd.Flags().StringVar(&webhookURL, "webhook-url", "", "URL at which GitHub reaches the service's git webhook endpoint, e.g. https://hnp-gitops.example.com/webhooks/git")
	cmd.Flags().StringArrayVar(&extra, "repo", nil, "a repository beside those of NetBox's fabrics: owner/name (github.com) or its URL; repeatable")
	return cmd
}

// setupRepos is the fabrics' repositories in NetBox (when --netbox-url is
// set) and those of --repo, each once, in order.
func setupRepos(ctx context.Context, cfg *config.Config, extra []string) ([]gitport.Repo, error) {
	var raws []string
	if cfg.NetBoxURL != "" || len(extra) == 0 {
		client, err := netboxClient(cfg)
		if err != nil {
			return nil, err
		}
		store := netbox.Fabrics{Client: client}
		fabrics, err := store.Fabrics(ctx, 0)
		if err != nil {
			return nil, fmt.Errorf("github setup: list the fabrics: %w", err)
		}
		seen := map[int64]bool{}
		for _, f := range fabrics {
			if f.RepositoryID == 0 || seen[f.RepositoryID] {
				continue
			}
			seen[f.RepositoryID] = true
			r, err := store.Repository(ctx, f.RepositoryID)
			if err != nil {
				return nil, fmt.Errorf("github setup: git repository %d: %w", f.RepositoryID, err)
			}
			raws = append(raws, r.URL)
		}
	}
	for _, e := range extra {
		if !strings.ContainsAny(e, ":@") {
			e = "https://github.com/" + e
		}
		raws = append(raws, e)
	}
	var out []gitport.Repo
	for _, raw := range raws {
		r, err := gitport.ParseURL(raw)
		if err != nil {
			return nil, usagef("github setup: %v", err)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// ensureHooks makes the webhook of every repository on a GitHub host and
// prints one line per repository.
func ensureHooks(ctx context.Context, cfg *config.Config, w io.Writer, repos []gitport.Repo, webhookURL string) error {
	cfg.GitHubRetryMax = 1
	tokens, err := loadTokens(cfg)
	if err != nil {
		return err
	}
	base, err := baseTransport(cfg.CAFile)
	if err != nil {
		return err
	}
	router, gh, err := newRepositories(cfg, tokens, nil, base)
	if err != nil {
		return err
	}
	failed := false
	for _, r := range repos {
		if !router.IsGitHub(r.Host) {
			fmt.Fprintf(w, "%s: skipped (not a GitHub host: add the push webhook by hand, see docs/git-webhooks.md)\n", r)
			continue
		}
		result, err := gh.EnsurePushHook(ctx, r, webhookURL, cfg.GitWebhookSecret.Value())
		if err != nil {
			failed = true
			fmt.Fprintf(w, "%s: FAILED: %v\n", r, err)
			continue
		}
		fmt.Fprintf(w, "%s: webhook %s\n", r, result)
	}
	if failed {
		return errGitHubSetupFailed
	}
	return nil
}
