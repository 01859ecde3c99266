package deploytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
	kjson "sigs.k8s.io/json"

	"github.com/githedgehog/hnp-gitops/internal/cli"
)

// Paths from this package's directory, where `go test` runs.
const (
	repoRoot      = "../.."
	chartDir      = repoRoot + "/charts/hnp-gitops"
	allValuesFile = chartDir + "/ci/values-all.yaml"
	dashboardFile = chartDir + "/files/dashboard.json"
	alertsFile    = chartDir + "/files/alerts.yaml"
	configDoc     = repoRoot + "/docs/configuration.md"
	operationsDoc = repoRoot + "/docs/operations.md"
	docsDir       = repoRoot + "/docs"

	// kubeVersion is what `helm template` pretends the cluster runs. A helm
	// built from source (`make tools`) otherwise assumes v1.20, below the
	// chart's kubeVersion.
	kubeVersion = "1.30.0"
	releaseName = "hnp-gitops" // so the full name is hnp-gitops too
	releaseNS   = "netbox"
)

// toolPath finds a tool the tests run: $env (set by the Makefile), then
// bin/name of the repository, then PATH. A missing tool fails the test with
// how to get it: the chart and its alert rules are deliverables, not
// optional extras.
func toolPath(t *testing.T, name, env string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s not found: %s=%s: %v; run `make tools`", name, env, p, err)
		}
		return p
	}
	if p, err := filepath.Abs(repoRoot + "/bin/" + name); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Fatalf("%s not found: run `make tools` (it puts it in bin/), or set %s", name, env)
	return ""
}

func helmPath(t *testing.T) string { return toolPath(t, "helm", "HNP_GITOPS_HELM") }

// runHelm runs helm with args and returns its stdout, stderr and error.
func runHelm(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(helmPath(t), args...)
	// Keep helm away from the user's repositories, plugins and caches.
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+home+"/cache",
		"HELM_CONFIG_HOME="+home+"/config",
		"HELM_DATA_HOME="+home+"/data",
	)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// manifest is one rendered Kubernetes object.
type manifest struct {
	Kind, Name string
	Raw        map[string]any
	JSON       []byte
}

// render runs `helm template` with the value files and --set flags given
// (each arg a separate helm argument) and parses every document.
func render(t *testing.T, extra ...string) []manifest {
	t.Helper()
	args := append([]string{"template", releaseName, chartDir, "--namespace", releaseNS, "--kube-version", kubeVersion}, extra...)
	out, stderr, err := runHelm(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	ms, err := parseManifests(out)
	if err != nil {
		t.Fatalf("helm template output: %v", err)
	}
	return ms
}

// parseManifests splits a multi-document YAML stream and requires every
// document to be a Kubernetes object with apiVersion, kind and metadata.name.
func parseManifests(s string) ([]manifest, error) {
	dec := yaml.NewDecoder(strings.NewReader(s))
	var ms []manifest
	for i := 0; ; i++ {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if doc == nil {
			continue // an empty document (a template that rendered nothing)
		}
		av, _ := doc["apiVersion"].(string)
		kind, _ := doc["kind"].(string)
		md, _ := doc["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		if av == "" || kind == "" || name == "" {
			return nil, &docError{i, "missing apiVersion, kind or metadata.name"}
		}
		js, err := json.Marshal(doc)
		if err != nil {
			return nil, &docError{i, err.Error()}
		}
		ms = append(ms, manifest{Kind: kind, Name: name, Raw: doc, JSON: js})
	}
	return ms, nil
}

type docError struct {
	index int
	msg   string
}

func (e *docError) Error() string { return "document " + strconv.Itoa(e.index) + ": " + e.msg }

// strict decodes a manifest into a typed Kubernetes object and fails on any
// field the type does not have, matched case-sensitively as the API server
// does, which catches misspelt fields.
func strict(t *testing.T, m manifest, into any) {
	t.Helper()
	strictErrs, err := kjson.UnmarshalStrict(m.JSON, into, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		t.Fatalf("%s %s does not decode: %v", m.Kind, m.Name, err)
	}
	if len(strictErrs) > 0 {
		t.Fatalf("%s %s has fields its type does not know: %v", m.Kind, m.Name, strictErrs)
	}
}

// only returns the single manifest of kind (and name when not empty).
func only(t *testing.T, ms []manifest, kind, name string) manifest {
	t.Helper()
	var found []manifest
	for _, m := range ms {
		if m.Kind == kind && (name == "" || m.Name == name) {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s %q, got %d", kind, name, len(found))
	}
	return found[0]
}

// serveCommand returns a fresh `serve` command of the real command tree, or
// nil while it does not exist yet.
func serveCommand() *cobra.Command {
	root := cli.NewRoot(&cli.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }})
	cmd, _, err := root.Find([]string{"serve"})
	if err != nil || cmd == nil || cmd.Name() != "serve" {
		return nil
	}
	return cmd
}

// serveFlags returns a fresh flag set of the real `hnp-gitops serve`.
func serveFlags(t *testing.T) *pflag.FlagSet {
	t.Helper()
	cmd := serveCommand()
	if cmd == nil {
		t.Fatal("the command tree has no `serve` command")
	}
	fs := cmd.Flags()
	fs.SetOutput(io.Discard)
	return fs
}

// allCommandFlags returns the names of every flag of every command of the
// tree, plus serve's, for checking environment variables named in the docs.
func allCommandFlags(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cli.NewRoot(&cli.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}))
	serveFlags(t).VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
	return names
}

// usage returns a flag's help without the " [$HNP_GITOPS_...]" suffix the
// command tree appends.
func usage(f *pflag.Flag) string {
	u, _, _ := strings.Cut(f.Usage, " [$"+cli.EnvPrefix)
	return strings.TrimSpace(u)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
