package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// command finds a subcommand of the root by its path ("netbox setup").
func command(t *testing.T, path string) *cobra.Command {
	t.Helper()
	cmd, _, err := NewRoot(&Env{}).Find(strings.Fields(path))
	if err != nil || cmd.Name() != strings.Fields(path)[len(strings.Fields(path))-1] {
		t.Fatalf("no command %q: %v", path, err)
	}
	return cmd
}

// The commands name one thing one way, and their help shows only the
// flags that do something in them.
func TestFlagsAreConsistent(t *testing.T) {
	t.Parallel()
	visible := func(cmd *cobra.Command, name string) bool {
		f := cmd.Flags().Lookup(name)
		return f != nil && !f.Hidden && f.Deprecated == ""
	}
	// One name for one idea.
	for _, c := range []struct{ flag, cmds string }{
		{"fabric", "reconcile,plan"},
		{"service-url", "serve,netbox setup,doctor"},
		{"netbox-url", "serve,reconcile,netbox setup,doctor"},
	} {
		for _, path := range strings.Split(c.cmds, ",") {
			if !visible(command(t, path), c.flag) {
				t.Errorf("%s has no visible --%s", path, c.flag)
			}
		}
	}
	// Former names are still accepted, not shown.
	for _, c := range []struct{ path, old string }{{"plan", "fabric-id"}, {"serve", "public-url"}, {"netbox setup", "public-url"}} {
		f := command(t, c.path).Flags().Lookup(c.old)
		if f == nil || f.Deprecated == "" {
			t.Errorf("%s: --%s should be accepted and deprecated", c.path, c.old)
		}
	}
	// reconcile runs once: the long-running settings of serve are hidden.
	rec := command(t, "reconcile")
	for _, name := range []string{"listen", "metrics-listen", "drain-period", "shutdown-timeout", "leader-election",
		"leader-election-namespace", "leader-election-lease-name", "resync-interval", "workers", "service-url"} {
		if visible(rec, name) {
			t.Errorf("reconcile --help lists --%s, which only serve uses", name)
		}
	}
}

// No usage text has a backtick: pflag takes the first `quoted` word of a
// usage as the value's name and garbles the help.
func TestUsageHasNoBackticks(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"serve", "reconcile", "plan", "netbox setup", "doctor", "version"} {
		command(t, path).Flags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Usage, "`") {
				t.Errorf("%s --%s: usage has a backtick: %q", path, f.Name, f.Usage)
			}
		})
	}
}

// Every command's rendered --help is plain text: no markup (backticks,
// which pflag would also take as a value's name), and exit 0.
func TestEveryHelpIsPlain(t *testing.T) {
	t.Parallel()
	var walk func(cmd *cobra.Command, path []string)
	var paths [][]string
	walk = func(cmd *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range cmd.Commands() {
			if !sub.Hidden && sub.Name() != "help" && sub.Name() != "completion" {
				walk(sub, append(append([]string(nil), path...), sub.Name()))
			}
		}
	}
	walk(NewRoot(&Env{}), nil)
	if len(paths) < 7 {
		t.Fatalf("found only %d commands: %v", len(paths), paths)
	}
	for _, path := range paths {
		var out, errb strings.Builder
		code := Run(t.Context(), append(path, "--help"), Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		help := out.String() + errb.String()
		if code != 0 || !strings.Contains(help, "Usage:") {
			t.Errorf("%v --help: exit %d\n%s", path, code, help)
		}
		if strings.Contains(help, "`") {
			t.Errorf("%v --help has markup:\n%s", path, help)
		}
	}
}
