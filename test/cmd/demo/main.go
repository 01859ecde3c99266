// Command demo is `make demo`: the service's main job on built-in defaults,
// with no NetBox or GitHub account. It starts the NetBox emulator, the GitHub
// emulator (a real bare git repository on disk) and `hnp-gitops serve`, runs
// `hnp-gitops netbox setup`, seeds a repository with the example fabric's
// YAML laid flat in its GitOps directory (the state of the user's report),
// creates the fabric through NetBox's API, waits for the status, and prints
// what Argo CD or Flux would now see: the tree at the branch head (from a
// `git clone`), the commit, and the fabric's custom fields.
//
// Its last two lines are `repo: <bare repository>` and
// `github-requests: <n> (writes <w>, commits <c>)`. It exits 0 on success
// and non-zero with the reason otherwise, and leaves no process running.
package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, "examples/fgd/raw")
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

// The demo's fabric and where its GitOps directory lives.
const (
	repoName   = "fabric-config"
	fabricName = "lab-fabric"
	fgdDir     = "gitops/hedgehog/lab-fabric"
)

func run(ctx context.Context, out io.Writer, exampleRaw string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	step := func(format string, args ...any) { fmt.Fprintf(out, "==> "+format+"\n", args...) }

	if _, err := harness.Git(ctx, "", "--version"); err != nil {
		return err
	}
	seed, err := readExample(exampleRaw)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "hnp-gitops-demo-")
	if err != nil {
		return err
	}
	step("starting the NetBox emulator and the GitHub emulator (bare repositories under %s)", dir)
	env, err := harness.Start(harness.Options{Dir: dir})
	if err != nil {
		return err
	}
	defer env.Close()

	step("starting hnp-gitops serve")
	svc, err := harness.StartInProcess(ctx, env.ServeArgs("--log-level=info"))
	if err != nil {
		return err
	}
	defer func() {
		if code := svc.Stop(30 * time.Second); code != 0 {
			fmt.Fprintf(out, "warning: serve exited %d\n", code)
		}
	}()
	if err := svc.WaitReady(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "    webhooks and API on %s, metrics on %s/metrics\n", svc.HTTPURL, svc.MetricsURL)

	step("hnp-gitops netbox setup (custom fields, choice set, webhook, event rule, button)")
	report, err := env.Setup(ctx, svc.HTTPURL)
	if err != nil {
		return err
	}
	fmt.Fprint(out, indent(report))

	step("seeding %s with %d flat YAML files in %s/ (the state of the user's report)", repoName, len(seed), fgdDir)
	files := map[string][]byte{"README.md": []byte("# Fabric configuration\n")}
	for name, b := range seed {
		files[path.Join(fgdDir, name)] = b
	}
	repoID, bare, err := env.NewRepo(repoName, files)
	if err != nil {
		return err
	}
	env.GitHub.ResetStats()

	step("creating fabric %q in NetBox (gitops_directory %q)", fabricName, "/"+fgdDir)
	start := time.Now()
	f, err := env.NetBox.CreateFabric(netboxsim.Fabric{Name: fabricName, GitRepository: repoID, GitOpsDirectory: "/" + fgdDir})
	if err != nil {
		return err
	}
	f, err = env.WaitStatus(ctx, f.ID, status.Initialized)
	if err != nil {
		return fmt.Errorf("%w\nserve logs:\n%s", err, svc.Logs())
	}
	fmt.Fprintf(out, "    initialized %s after the fabric was created\n", time.Since(start).Round(time.Millisecond))

	clone, err := harness.Clone(ctx, bare, "main", dir)
	if err != nil {
		return err
	}
	tree, err := harness.Files(clone, fgdDir)
	if err != nil {
		return err
	}
	step("the branch head, as Argo CD / Flux see it (git clone): %s/", fgdDir)
	for _, p := range tree {
		fmt.Fprintf(out, "    %s\n", p)
	}
	commit, err := harness.Git(ctx, clone, "log", "-1", "--format=commit %H%nAuthor: %an <%ae>%n%n%B")
	if err != nil {
		return err
	}
	step("the commit")
	fmt.Fprint(out, indent(commit+"\n"))
	count, err := harness.Git(ctx, clone, "rev-list", "--count", "HEAD")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    commits on main: %s (the seed and this one)\n", count)

	step("the fabric's custom fields in NetBox")
	for _, name := range status.Fields {
		v := f.CustomFields[name]
		if m, ok := v.(map[string]any); ok {
			v = m["value"]
		}
		if v == nil {
			v = "(empty)"
		}
		fmt.Fprintf(out, "    %-24s %v\n", name, v)
	}

	st := env.GitHub.Stats()
	total := 0
	for _, n := range st.Requests {
		total += n
	}
	fmt.Fprintf(out, "repo: %s\n", bare)
	fmt.Fprintf(out, "github-requests: %d (writes %d, commits %d)\n", total, st.Writes, st.Commits)
	return nil
}

// readExample reads the example FGD's YAML files (relative names).
func readExample(root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the example FGD (run from the project root): %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no YAML files in %s", root)
	}
	return out, nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n") + "\n"
}
