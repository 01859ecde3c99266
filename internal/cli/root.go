package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Build information, stamped by the linker:
//
//	-X github.com/githedgehog/hnp-gitops/internal/cli.Version=v1.2.3
//	-X github.com/githedgehog/hnp-gitops/internal/cli.Commit=abc123
var (
	Version = "dev"
	Commit  = "unknown"
)

// EnvPrefix is the prefix of the environment variable that fills each flag:
// --netbox-url is HNP_GITOPS_NETBOX_URL.
const EnvPrefix = "HNP_GITOPS_"

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Env is what a command may use of the process: its output streams and its
// environment. Tests pass their own.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// usageError marks an error as the caller's mistake (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns an error that makes the command exit with ExitUsage.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// commands lists the constructors of the subcommands. Each lives in its own
// file.
var commands = []func(*Env) *cobra.Command{
	newVersionCmd,
	newNetBoxCmd,
	newGitHubCmd,
	newDoctorCmd,
	newServeCmd,
	newReconcileCmd,
	newPlanCmd,
}

// NewRoot builds the command tree.
func NewRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "hnp-gitops",
		Short: "Lay out, ingest and push the GitOps directories of Hedgehog NetBox Plugin fabrics",
		Long: `hnp-gitops closes the loop between the Hedgehog NetBox Plugin (HNP) and git.
When a fabric is created or changed in NetBox, it lays out the fabric's GitOps
directory (raw/, unmanaged/, managed/<kind>/, .hnp/), ingests the YAML already
there, pushes one atomic commit that Argo CD or Flux can apply, and writes the
result back into the fabric's custom fields.

Every flag can also be set by an environment variable: --netbox-url is
HNP_GITOPS_NETBOX_URL. A flag given on the command line wins.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd.Flags(), env.Getenv)
		},
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, c := range commands {
		root.AddCommand(c(env))
	}
	annotateEnv(root)
	return root
}

// Run runs the command line args (without the program name) and returns the
// process exit code. Errors are printed as one line on env.Stderr.
func Run(ctx context.Context, args []string, env Env) int {
	root := NewRoot(&env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "hnp-gitops: %s\n", oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return ExitUsage
	}
	return ExitFailure
}

func isCobraUsage(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "required flag") || strings.Contains(msg, "accepts ") && strings.Contains(msg, " arg(s)")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// EnvName returns the environment variable that fills the flag name.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// bindEnv fills every flag not given on the command line from its
// environment variable.
func bindEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	if getenv == nil {
		return nil
	}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		v := getenv(EnvName(f.Name))
		if v == "" {
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = usagef("invalid value in %s for --%s: %v", EnvName(f.Name), f.Name, serr)
		}
	})
	return err
}

// annotateEnv appends the environment variable's name to every flag's help.
func annotateEnv(cmd *cobra.Command) {
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" || strings.Contains(f.Usage, EnvPrefix) {
			return
		}
		f.Usage += " [$" + EnvName(f.Name) + "]"
	})
	for _, c := range cmd.Commands() {
		annotateEnv(c)
	}
}

func newVersionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(env.Stdout, versionLine(Version, Commit, runtime.Version()))
			return nil
		},
	}
}

// versionLine names the version, the commit unless the version already
// says it (a `git describe` of an untagged tree is the commit), and Go's.
func versionLine(version, commit, goVersion string) string {
	if commit == "" || commit == "unknown" || strings.Contains(version, commit) {
		return fmt.Sprintf("hnp-gitops %s (%s)", version, goVersion)
	}
	return fmt.Sprintf("hnp-gitops %s (commit %s, %s)", version, commit, goVersion)
}
