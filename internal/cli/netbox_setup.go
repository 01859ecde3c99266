package cli

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/githedgehog/hnp-gitops/internal/config"
	"github.com/githedgehog/hnp-gitops/internal/netbox"
	"github.com/githedgehog/hnp-gitops/internal/netboxsetup"
)

// newNetBoxCmd is the parent of the commands that configure NetBox.
func newNetBoxCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netbox",
		Short: "Configure NetBox for hnp-gitops",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newNetBoxSetupCmd(env))
	return cmd
}

// setupConfigFlags are the settings of config.Config that `netbox setup`
// uses; they keep their names, so the same environment variables fill them
// as for `serve`.
var setupConfigFlags = []string{
	"netbox-url", "netbox-token", "netbox-token-file", "netbox-timeout",
	"netbox-plugin-path", "netbox-fabrics-prefix", "netbox-repos-prefix",
	"webhook-secret", "webhook-secret-file", "service-url", "public-url", "ca-file",
}

func newNetBoxSetupCmd(env *Env) *cobra.Command {
	var (
		cfg    config.Config
		dryRun bool
	)
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Create or update the custom fields, webhook, event rule and custom link hnp-gitops needs",
		Long: `setup makes NetBox ready for hnp-gitops, idempotently:

  - the choice set hnp_gitops_directory_status and the four custom fields
    gitops_directory_status, directory_init_error, last_directory_sync and
    gitops_commit_url on Hedgehog fabrics (group "GitOps");
  - the webhook "hnp-gitops" posting to <service URL>/webhooks/netbox,
    signed with the webhook secret;
  - the event rule "hnp-gitops fabric changes" firing it on creates,
    updates and deletes of Hedgehog fabrics and of the plugin's git
    repositories (a repository's change reconciles its fabrics;
    event_types on NetBox 4.1+, booleans on 4.0);
  - the custom link "GitOps commit" to the last commit.

Objects are found by name. Missing ones are created, differing ones
updated, nothing is deleted; a second run changes nothing. A custom field
of another type is reported as a conflict (exit 1). --dry-run only reports.
The API token needs write permission on these extras objects.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := netboxClient(&cfg)
			if err != nil {
				return err
			}
			serviceURL := cfg.ServiceURL
			if serviceURL == "" {
				return usagef("--service-url is required (or set %s): where NetBox reaches hnp-gitops", EnvName("service-url"))
			}
			if cfg.WebhookSecret == "" {
				return usagef("no webhook secret: set --webhook-secret-file (or %s)", EnvName("webhook-secret-file"))
			}
			rep, err := netboxsetup.Run(cmd.Context(), client, netboxsetup.Options{
				ServiceURL:    serviceURL,
				WebhookSecret: cfg.WebhookSecret.Value(),
				DryRun:        dryRun,
			})
			if rep != nil {
				fmt.Fprint(env.Stdout, rep.String())
			}
			if err != nil {
				if errors.Is(err, netbox.ErrAuth) {
					return fmt.Errorf("netbox setup: %w (the token needs write permission on extras objects)", err)
				}
				return fmt.Errorf("netbox setup: %w", err)
			}
			return nil
		},
	}
	netboxFlags(cmd, &cfg)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "report what would change and write nothing")
	return cmd
}

// netboxFlags adds the settings `netbox setup` and `doctor` share: those
// of setupConfigFlags, named as for serve, so the same environment
// variables fill them.
func netboxFlags(cmd *cobra.Command, cfg *config.Config) {
	tmp := pflag.NewFlagSet("config", pflag.ContinueOnError)
	cfg.RegisterFlags(tmp)
	for _, name := range setupConfigFlags {
		cmd.Flags().AddFlag(tmp.Lookup(name))
	}
}

// netboxClient loads the secrets, checks the common settings and builds the
// NetBox client.
func netboxClient(cfg *config.Config) (*netbox.Client, error) {
	cfg.NetBoxRetryMax = 1 // one-shot: an unreachable NetBox is reported at once
	if err := cfg.LoadSecrets(nil); err != nil {
		return nil, usagef("%w", err)
	}
	if err := cfg.ValidateCommon(); err != nil {
		return nil, usagef("%w", err)
	}
	return setupClient(cfg)
}

// setupClient is the NetBox client of `netbox setup`.
func setupClient(cfg *config.Config) (*netbox.Client, error) {
	base, err := baseTransport(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	client, err := netbox.New(netboxOptions(cfg, base))
	if err != nil {
		return nil, usagef("%w", err)
	}
	return client, nil
}

// netboxOptions are the NetBox client's options from the settings, over
// transport: the one place serve, netbox setup and doctor build them.
func netboxOptions(cfg *config.Config, transport http.RoundTripper) netbox.Options {
	return netbox.Options{
		BaseURL:       cfg.NetBoxURL,
		Token:         cfg.NetBoxToken.Value(),
		PluginPath:    cfg.NetBoxPluginPath,
		FabricsPrefix: cfg.NetBoxFabricsPrefix,
		ReposPrefix:   cfg.NetBoxReposPrefix,
		Timeout:       cfg.NetBoxTimeout,
		Transport:     transport,
		UserAgent:     "hnp-gitops/" + Version,
		RetryMax:      cfg.NetBoxRetryMax,
	}
}
