package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/githedgehog/hnp-gitops/internal/config"
	"github.com/githedgehog/hnp-gitops/internal/reconcile"
)

func newReconcileCmd(env *Env) *cobra.Command {
	var (
		cfg      config.Config
		fabricID int64
		output   string
	)
	cmd := &cobra.Command{
		Use:   "reconcile --fabric ID",
		Short: "Reconcile one fabric now and print the result",
		Long: `reconcile does, once and in the foreground, what serve does for a fabric:
read the fabric and its repository from NetBox, lay out and ingest its GitOps
directory in one commit, and write the status back into NetBox. It takes the
same settings as serve (a webhook secret is not needed). Exit 0 when the
fabric ends initialized, 1 otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if fabricID <= 0 {
				return usagef("--fabric is required and must be a positive fabric id")
			}
			if output != "text" && output != "json" {
				return usagef("--output %q: want text or json", output)
			}
			if err := cfg.LoadSecrets(nil); err != nil {
				return usageError{err}
			}
			cfg.CommitIdentitySet = commitIdentitySet(cmd)
			// One attempt and one retry: the person waiting is told at once.
			cfg.NetBoxRetryMax, cfg.GitHubRetryMax = 1, 1
			// The outcome is printed; the log says only what went wrong
			// beyond it, unless a level was asked for.
			if !cmd.Flags().Changed("log-level") {
				cfg.LogLevel = "error"
			}
			if err := cfg.ValidateCommon(); err != nil {
				return usageError{err}
			}
			a, err := newApp(&cfg, env)
			if err != nil {
				return err
			}
			out, rerr := a.ctrl.ReconcileNow(cmd.Context(), fabricID)
			if output == "json" {
				b, _ := json.MarshalIndent(out, "", "  ")
				fmt.Fprintln(env.Stdout, string(b))
			} else {
				printOutcome(env.Stdout, out)
			}
			return rerr
		},
	}
	cfg.RegisterFlags(cmd.Flags())
	// The settings of the long-running parts of serve mean nothing here;
	// they stay accepted (a shared environment may set them) but hidden.
	for _, name := range []string{"listen", "metrics-listen", "webhook-secret", "webhook-secret-file",
		"git-webhook-secret", "git-webhook-secret-file", "git-webhook-max-body-bytes",
		"insecure-skip-signature", "api-token", "api-token-file", "workers", "batch-window",
		"resync-interval", "full-resync-every", "retry-base-delay", "retry-max-delay", "shutdown-timeout", "service-url", "drain-period",
		"leader-election", "leader-election-namespace", "leader-election-lease-name"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	cmd.Flags().Int64Var(&fabricID, "fabric", 0, "id of the fabric to reconcile (required)")
	cmd.Flags().StringVar(&output, "output", "text", "output format: text or json")
	return cmd
}

// printOutcome prints what a reconcile did, leaving out what it never
// learned (the repository of a fabric it could not read).
func printOutcome(w io.Writer, out reconcile.Outcome) {
	fmt.Fprintf(w, "fabric:     %d %s\n", out.FabricID, out.FabricName)
	if out.Repository != "" {
		fmt.Fprintf(w, "repository: %s (branch %s, directory %q)\n", out.Repository, out.Branch, out.Directory)
	}
	result := out.Result
	if result == reconcile.ResultRetry {
		result = "failed for now (serve would retry; run reconcile again later)"
	}
	if out.Status != "" {
		result += fmt.Sprintf(", status %s", out.Status)
	}
	if out.Result == reconcile.ResultCommitted || out.Result == reconcile.ResultUnchanged {
		result += ", " + changes(out.Changes)
	}
	fmt.Fprintf(w, "result:     %s\n", result)
	for _, l := range []struct{ label, value string }{{"commit", out.CommitURL}, {"pull", out.PullRequestURL}, {"status", out.StatusWriteError}} {
		if l.value != "" {
			fmt.Fprintf(w, "%-11s %s\n", l.label+":", l.value)
		}
	}
	for _, r := range out.Rejected {
		fmt.Fprintf(w, "rejected:   %s\n", r)
	}
	for _, c := range out.Conflicts {
		fmt.Fprintf(w, "conflict:   %s\n", c)
	}
}
