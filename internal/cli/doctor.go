package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/githedgehog/hnp-gitops/internal/config"
	"github.com/githedgehog/hnp-gitops/internal/doctor"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// errDoctorFailed is the error of a doctor run with a failed check (exit 1).
var errDoctorFailed = errors.New("doctor: some checks failed")

func newDoctorCmd(env *Env) *cobra.Command {
	var (
		cfg config.Config
	)
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check, by reading only, that NetBox and the Hedgehog plugin are ready for hnp-gitops",
		Long: `doctor reads NetBox and prints one line a check: ok, FAIL with what to do,
or "not checked" when only a write could tell (it never writes). It checks
that NetBox answers and its version is supported, an RQ worker runs (only
the worker sends webhooks), the Hedgehog plugin is installed, the token
reads fabrics and NetBox's change log, this clock is within 30 s of
NetBox's, what netbox setup manages is in place and points at --service-url,
the token can read every fabric's git repository (HNP shows a repository
only to its creator and superusers), and, given the service's git
credentials (the same flags as serve), each repository's host grants them
push. It exits 1 when a check failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := netboxClient(&cfg)
			if err != nil {
				return err
			}
			repos, err := doctorRepos(&cfg)
			if err != nil {
				return err
			}
			checks := doctor.Run(cmd.Context(), client, doctor.Options{ServiceURL: cfg.ServiceURL, WebhookSecret: cfg.WebhookSecret.Value(), Repos: repos})
			fmt.Fprint(env.Stdout, doctor.String(checks))
			if doctor.Failed(checks) {
				return errDoctorFailed
			}
			return nil
		},
	}
	netboxFlags(cmd, &cfg)
	// The service's git credentials, named as for serve, for the push
	// rights check.
	git := pflag.NewFlagSet("git", pflag.ContinueOnError)
	cfg.RegisterGitFlags(git)
	git.VisitAll(func(f *pflag.Flag) {
		if cmd.Flags().Lookup(f.Name) == nil {
			cmd.Flags().AddFlag(f)
		}
	})
	return cmd
}

// doctorRepos is the repository router of serve when git credentials are
// given, nil (push rights not checked) when none are.
func doctorRepos(cfg *config.Config) (gitport.AccessChecker, error) {
	if cfg.GitHubToken == "" && cfg.GitHubTokenMapFile == "" && cfg.GitHubAppID == "" && cfg.GitSSHKeyFile == "" {
		return nil, nil
	}
	cfg.GitHubRetryMax = 1
	tokens, err := loadTokens(cfg)
	if err != nil {
		return nil, err
	}
	base, err := baseTransport(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	repos, _, err := newRepositories(cfg, tokens, nil, base)
	if err != nil {
		return nil, err
	}
	return repos, nil
}
