package deploytest

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/spf13/pflag"

	"github.com/githedgehog/hnp-gitops/internal/cli"
	"github.com/githedgehog/hnp-gitops/internal/netboxsetup"
	"github.com/githedgehog/hnp-gitops/internal/status"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the generated tables in docs/configuration.md and docs/operations.md")

// The generated tables sit between these markers.
const (
	flagsBegin   = "<!-- BEGIN GENERATED FLAGS: go test ./internal/deploytest -update-docs -->"
	flagsEnd     = "<!-- END GENERATED FLAGS -->"
	metricsBegin = "<!-- BEGIN GENERATED METRICS: go test ./internal/deploytest -update-docs -->"
	metricsEnd   = "<!-- END GENERATED METRICS -->"
)

// mdCell makes text safe inside a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// flagsTable renders one row per flag of serve: flag, environment variable,
// default, description.
func flagsTable(fs *pflag.FlagSet) string {
	var b strings.Builder
	b.WriteString("| flag | environment variable | default | description |\n")
	b.WriteString("|---|---|---|---|\n")
	var flags []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && !f.Hidden {
			flags = append(flags, f)
		}
	})
	sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	for _, f := range flags {
		def := "`" + f.DefValue + "`"
		if f.DefValue == "" {
			def = "(none)"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s |\n", f.Name, cli.EnvName(f.Name), def, mdCell(usage(f)))
	}
	return b.String()
}

// metricsTable renders one row per hnp_gitops_* family of the registry.
func metricsTable(t *testing.T) string {
	t.Helper()
	series, bases := exported(t)
	help := exportedHelp(t)
	names := make([]string, 0, len(bases))
	for n := range bases {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("| metric | type | labels | description |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, n := range names {
		typ := bases[n]
		lookup := n
		if typ == dto.MetricType_HISTOGRAM {
			lookup = n + "_count"
		}
		var labels []string
		for l := range series[lookup].labels {
			labels = append(labels, "`"+l+"`")
		}
		sort.Strings(labels)
		lab := strings.Join(labels, ", ")
		if lab == "" {
			lab = "–"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", n, strings.ToLower(typ.String()), lab, mdCell(help[n]))
	}
	return b.String()
}

func exportedHelp(t *testing.T) map[string]string {
	t.Helper()
	m := newTestMetrics(t)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	help := map[string]string{}
	for _, mf := range mfs {
		help[mf.GetName()] = mf.GetHelp()
	}
	return help
}

// checkGenerated compares the text between begin and end in the file with
// want, or rewrites it with -update-docs.
func checkGenerated(t *testing.T, path, begin, end, want string) {
	t.Helper()
	doc := string(readFile(t, path))
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q ... %q", path, begin, end)
	}
	got := strings.TrimSpace(doc[i+len(begin) : j])
	if got == strings.TrimSpace(want) {
		return
	}
	if *updateDocs {
		doc = doc[:i+len(begin)] + "\n" + strings.TrimSpace(want) + "\n" + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the generated table in %s", path)
		return
	}
	t.Errorf("the generated table in %s is out of date; run `go test ./internal/deploytest -update-docs` (-want +got):\n%s",
		path, cmp.Diff(strings.TrimSpace(want), got))
}

// TestConfigurationDocListsEveryFlag keeps docs/configuration.md equal to
// the real flags of serve: a row for each, and no row for a flag that does
// not exist, anywhere in the file.
func TestConfigurationDocListsEveryFlag(t *testing.T) {
	fs := serveFlags(t)
	checkGenerated(t, configDoc, flagsBegin, flagsEnd, flagsTable(fs))

	rowRE := regexp.MustCompile("(?m)^\\| `--([a-z0-9-]+)`")
	for _, m := range rowRE.FindAllStringSubmatch(string(readFile(t, configDoc)), -1) {
		if fs.Lookup(m[1]) == nil {
			t.Errorf("%s has a row for --%s, which `serve` does not have", configDoc, m[1])
		}
	}
}

// TestOperationsDocListsEveryMetric keeps the metrics table of
// docs/operations.md equal to the registry.
func TestOperationsDocListsEveryMetric(t *testing.T) {
	checkGenerated(t, operationsDoc, metricsBegin, metricsEnd, metricsTable(t))
}

// TestDocsNameRealSettings fails when any doc names an environment variable
// or a metric that does not exist, so renamed settings cannot linger in
// prose.
func TestDocsNameRealSettings(t *testing.T) {
	t.Parallel()
	flags := allCommandFlags(t)
	series, bases := exported(t)
	envRE := regexp.MustCompile(cli.EnvPrefix + `[A-Z0-9_]+`)
	metricRE := regexp.MustCompile(`\bhnp_gitops_[a-z0-9_]+`)
	env := map[string]bool{}
	for n := range flags {
		env[cli.EnvName(n)] = true
	}
	paths, err := filepath.Glob(docsDir + "/*.md")
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, chartDir+"/values.yaml", chartDir+"/templates/NOTES.txt")
	for _, p := range paths {
		text := string(readFile(t, p))
		for _, e := range envRE.FindAllString(text, -1) {
			if !env[e] {
				t.Errorf("%s names %s, which no flag fills", p, e)
			}
		}
		for _, m := range metricRE.FindAllString(text, -1) {
			_, isSeries := series[m]
			_, isBase := bases[m]
			// The NetBox choice set shares the prefix but is not a metric.
			if !isSeries && !isBase && m != netboxsetup.DefaultChoiceSetName {
				t.Errorf("%s names metric %s, which the service does not export", p, m)
			}
		}
	}
}

// TestOperationsDocCoversEveryStatus requires a section per status value.
func TestOperationsDocCoversEveryStatus(t *testing.T) {
	t.Parallel()
	doc := string(readFile(t, operationsDoc))
	for _, s := range statusValues() {
		if !strings.Contains(doc, "### `"+s+"`") {
			t.Errorf("%s has no section \"### `%s`\"", operationsDoc, s)
		}
	}
}

func statusValues() []string {
	out := make([]string, 0, len(status.All))
	for _, s := range status.All {
		out = append(out, string(s))
	}
	return out
}

func TestFlagsTableRendering(t *testing.T) {
	t.Parallel()
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.Int("workers", 4, "reconcile workers [$HNP_GITOPS_WORKERS]")
	fs.String("token-file", "", "a | b")
	got := flagsTable(fs)
	want := "| flag | environment variable | default | description |\n|---|---|---|---|\n" +
		"| `--token-file` | `HNP_GITOPS_TOKEN_FILE` | (none) | a \\| b |\n" +
		"| `--workers` | `HNP_GITOPS_WORKERS` | `4` | reconcile workers |\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// operatorDocs are the pages this package owns the checks of; other docs may
// speak about other tools.
var operatorDocs = []string{
	docsDir + "/install.md", docsDir + "/configuration.md", docsDir + "/operations.md",
	docsDir + "/credentials.md", docsDir + "/architecture.md",
	chartDir + "/README.md", chartDir + "/templates/NOTES.txt", chartDir + "/values.yaml",
}

// otherToolFlags are flags of helm, kubectl, docker and git that the pages
// use in their commands.
var otherToolFlags = map[string]bool{
	"set": true, "reuse-values": true, "from-file": true, "build-arg": true,
	"tags": true, "always": true, "short": true, "help": true,
}

// TestDocsNameRealFlags fails when an operator page names a flag that no
// hnp-gitops command has (a renamed flag left behind in prose or examples).
func TestDocsNameRealFlags(t *testing.T) {
	t.Parallel()
	flags := allCommandFlags(t)
	flagRE := regexp.MustCompile(`(?:^|[^a-zA-Z0-9-])--([a-z][a-z0-9-]+)`)
	for _, p := range operatorDocs {
		for _, m := range flagRE.FindAllStringSubmatch(string(readFile(t, p)), -1) {
			if !flags[m[1]] && !otherToolFlags[m[1]] {
				t.Errorf("%s names --%s, which no hnp-gitops command has", p, m[1])
			}
		}
	}
}

// TestDocsHelmSetsAreValid renders the chart with every `--set` the operator
// pages show, one at a time, so that a misspelt or renamed value in an
// example fails here (the values schema refuses unknown keys) rather than at
// an operator's install.
func TestDocsHelmSetsAreValid(t *testing.T) {
	t.Parallel()
	setRE := regexp.MustCompile("--set ([a-zA-Z0-9_.]+=[^ `\\n]*)")
	seen := map[string]bool{}
	for _, p := range operatorDocs {
		for _, m := range setRE.FindAllStringSubmatch(string(readFile(t, p)), -1) {
			seen[m[1]] = true
		}
	}
	if len(seen) == 0 {
		t.Fatal("found no --set in the operator docs; the pattern is broken")
	}
	for set := range seen {
		t.Run(set, func(t *testing.T) {
			t.Parallel()
			args := []string{"--set", set}
			// Leaving out the default GitHub token needs a token map.
			if strings.HasPrefix(set, "github.existingSecret=") {
				args = append(args, "--set", "github.tokenMap.existingSecret=map")
			}
			render(t, args...)
		})
	}
}

// TestNetBoxSetupExamplesUseItsFlags checks every `netbox setup` command the
// install page and the chart's notes show against the real command's flags.
func TestNetBoxSetupExamplesUseItsFlags(t *testing.T) {
	t.Parallel()
	root := cli.NewRoot(&cli.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }})
	setup, _, err := root.Find([]string{"netbox", "setup"})
	if err != nil || setup.Name() != "setup" {
		t.Fatalf("the command tree has no `netbox setup`: %v", err)
	}
	flagRE := regexp.MustCompile(`--([a-z][a-z0-9-]+)`)
	found := 0
	for _, p := range []string{docsDir + "/install.md", chartDir + "/templates/NOTES.txt"} {
		lines := strings.Split(string(readFile(t, p)), "\n")
		for i := 0; i < len(lines); i++ {
			if !strings.Contains(lines[i], "netbox setup") || !strings.HasSuffix(strings.TrimSpace(lines[i]), `\`) {
				continue
			}
			// The command and its continuation lines.
			cmdText := lines[i]
			for i+1 < len(lines) && strings.HasSuffix(strings.TrimSpace(lines[i]), `\`) {
				i++
				cmdText += "\n" + lines[i]
			}
			found++
			_, after, _ := strings.Cut(cmdText, "netbox setup")
			for _, m := range flagRE.FindAllStringSubmatch(after, -1) {
				if setup.Flags().Lookup(m[1]) == nil {
					t.Errorf("%s: `netbox setup` has no flag --%s:\n%s", p, m[1], cmdText)
				}
			}
		}
	}
	if found < 2 {
		t.Errorf("found %d multi-line `netbox setup` commands in install.md and NOTES.txt, want at least 2", found)
	}
}
