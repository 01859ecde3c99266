// Command demo is `make demo`: the service's main job on built-in defaults,
// with no NetBox or GitHub account. It starts the NetBox emulator, the GitHub
// emulator (a real bare git repository on disk) and `hnp-gitops serve`, runs
// `hnp-gitops netbox setup`, seeds a repository with the example fabric's
// YAML laid flat in its GitOps directory (the state of the user's report),
// creates the fabric through NetBox's API, waits for the status, and prints
// what Argo CD or Flux would now see: the tree at the branch head (from a
// `git clone`), the commit, and the fabric's custom fields.
//
// It narrates: the webhooks NetBox sent and what the service did with
// them, where the commit is (in the emulator: the fabric's commit URL names
// github.com, as it would in a real install), and how to look at the
// result. It removes its temporary folder at the end unless -keep (make
// demo KEEP=1) is given, and then says where it is.
//
// Its last two lines are `repo: <bare repository>` and
// `github-requests: <n> (writes <w>, commits <c>)`. It exits 0 on success
// and non-zero with the reason otherwise, and leaves no process running.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	keep := flag.Bool("keep", false, "keep the temporary folder (the bare repository) and say where it is")
	flag.Parse()
	err := run(ctx, os.Stdout, "examples/fgd/raw", *keep, nil)
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

// run is the demo. wrapGitHub, when not nil, wraps the GitHub emulator's
// handler (TestDemo holds its exchanges to GitHub's description).
func run(ctx context.Context, out io.Writer, exampleRaw string, keep bool, wrapGitHub func(http.Handler) http.Handler) error {
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
	if !keep {
		defer os.RemoveAll(dir)
	}
	step("starting the NetBox emulator and the GitHub emulator (bare repositories under %s)", dir)
	env, err := harness.Start(harness.Options{Dir: dir, GitHub: githubsim.Options{Wrap: wrapGitHub}})
	if err != nil {
		return err
	}
	defer env.Close()

	step("starting hnp-gitops serve")
	svc, err := harness.StartInProcess(ctx, env.ServeArgs("--log-level=debug"))
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

	step("what happened: NetBox's webhooks and the service's log")
	// The status write lands before the service logs the reconcile: wait
	// for that line (and for the echoes of the status writes) first.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(svc.Logs(), `"msg":"reconcile"`) && len(env.NetBox.Deliveries()) >= 4 {
			break
		}
	}
	narrate(out, env.NetBox.Deliveries(), svc.LogLines())

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

	head, err := harness.Git(ctx, clone, "rev-parse", "HEAD")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    the fabric's gitops_commit_url names github.com, as in a real install; here the\n")
	fmt.Fprintf(out, "    commit is in the GitHub emulator (%s/repos/%s/%s/git/commits/%s while\n", env.GitHub.URL(), harness.Owner, repoName, head)
	fmt.Fprintf(out, "    the demo runs) and its bare repository %s\n", bare)

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

	if keep {
		step("kept: look at it yourself")
		fmt.Fprintf(out, "    git clone %s /tmp/fabric-config && git -C /tmp/fabric-config log --stat\n", bare)
		fmt.Fprintf(out, "    rm -rf %s   # when done\n", dir)
	} else {
		step("cleaned up %s (make demo KEEP=1 keeps the repository to look at)", dir)
	}
	st := env.GitHub.Stats()
	total := 0
	for _, n := range st.Requests {
		total += n
	}
	if keep {
		fmt.Fprintf(out, "repo: %s\n", bare)
	} else {
		fmt.Fprintf(out, "repo: %s (removed; KEEP=1 keeps it)\n", bare)
	}
	fmt.Fprintf(out, "github-requests: %d (writes %d, commits %d)\n", total, st.Writes, st.Commits)
	return nil
}

// logLine is what the narration reads of the service's JSON log lines.
type logLine struct {
	Msg       string  `json:"msg"`
	Fabrics   []int64 `json:"fabrics"`
	Result    string  `json:"result"`
	Reason    string  `json:"reason"`
	RequestID string  `json:"request_id"`
	Commit    string  `json:"commit"`
}

// narrate prints each webhook NetBox sent with what the service made of
// it, then the service's reconciles, in a few words each.
func narrate(out io.Writer, deliveries []netboxsim.Delivery, logs []string) {
	var lines []logLine
	answer := map[string]string{}
	for _, raw := range logs {
		var l logLine
		if json.Unmarshal([]byte(raw), &l) != nil {
			continue
		}
		lines = append(lines, l)
		if l.Msg == "webhook delivery" {
			answer[l.RequestID] = l.Result + ", " + l.Reason
		}
	}
	for _, d := range deliveries {
		what := fmt.Sprint(d.StatusCode)
		if a := answer[d.RequestID]; a != "" {
			what += " " + a
		}
		if d.Err != "" {
			what = d.Err
		}
		fmt.Fprintf(out, "    NetBox -> webhook: %s %s %d: %s\n", d.Event, d.ObjectType, d.ObjectID, what)
	}
	for _, l := range lines {
		if l.Msg == "reconcile" {
			fmt.Fprintf(out, "    service: reconciled fabrics %v: %s, commit %.12s\n", l.Fabrics, l.Result, l.Commit)
		}
	}
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
