package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/githedgehog/hnp-gitops/internal/config"
	"github.com/githedgehog/hnp-gitops/internal/doctor"
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
reads fabrics, what netbox setup manages is in place and points at
--service-url, and the token can read every fabric's git repository (HNP
shows a repository only to its creator and superusers). It exits 1 when a
check failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := netboxClient(&cfg)
			if err != nil {
				return err
			}
			checks := doctor.Run(cmd.Context(), client, doctor.Options{ServiceURL: cfg.ServiceURL, WebhookSecret: cfg.WebhookSecret.Value()})
			fmt.Fprint(env.Stdout, doctor.String(checks))
			if doctor.Failed(checks) {
				return errDoctorFailed
			}
			return nil
		},
	}
	netboxFlags(cmd, &cfg)
	return cmd
}
