package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/cli"
	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// Owner is the GitHub owner of every emulated repository.
const Owner = "hedgehog"

// The credentials of an environment. They are recognisable on purpose: a
// test scans logs, NetBox fields and commits for them.
const (
	NetBoxToken   = "nbtoken0123456789abcdef0123456789abcdef01"
	GitHubToken   = "ghp_harnessTOKENdo_not_leak_0123456789"
	WebhookSecret = "whsec-harness-do-not-leak"
	APIToken      = "apitoken-harness-do-not-leak"
	// GitWebhookSecret is the git hosts' push webhook secret (serve's
	// --git-webhook-secret), for the tests that turn git webhooks on.
	GitWebhookSecret = "gitwh-harness-do-not-leak"
)

// Secrets lists the credentials above, for leak scans.
var Secrets = []string{NetBoxToken, GitHubToken, WebhookSecret, APIToken, GitWebhookSecret}

// Options configure an Env.
type Options struct {
	Dir           string // where the bare repositories live; required
	NetBoxVersion string // default "4.2"
	NetBox        netboxsim.Options
	GitHub        githubsim.Options
}

// Env is a running NetBox emulator and GitHub emulator.
type Env struct {
	Dir    string
	NetBox *netboxsim.Server
	GitHub *githubsim.Server
}

// Start starts both emulators.
func Start(o Options) (*Env, error) {
	if o.Dir == "" {
		return nil, errors.New("harness: Options.Dir is required")
	}
	gho := o.GitHub
	gho.Dir = filepath.Join(o.Dir, "github")
	gho.Token = GitHubToken
	gh, err := githubsim.New(gho)
	if err != nil {
		return nil, fmt.Errorf("harness: github emulator: %w", err)
	}
	if err := gh.Start(); err != nil {
		return nil, fmt.Errorf("harness: github emulator: %w", err)
	}
	nbo := o.NetBox
	nbo.Token = NetBoxToken
	if nbo.Version == "" {
		nbo.Version = o.NetBoxVersion
	}
	if nbo.Version == "" {
		nbo.Version = "4.2"
	}
	nb, err := netboxsim.Start(nbo)
	if err != nil {
		gh.Close()
		return nil, fmt.Errorf("harness: netbox emulator: %w", err)
	}
	return &Env{Dir: o.Dir, NetBox: nb, GitHub: gh}, nil
}

// Close stops both emulators.
func (e *Env) Close() {
	e.NetBox.Close()
	e.GitHub.Close()
}

// RepoURL is the git URL NetBox stores for an emulated repository. The host
// is github.com: the service sends its API calls to --github-api-url.
func RepoURL(name string) string { return "https://github.com/" + Owner + "/" + name + ".git" }

// NewRepo creates a private repository on the GitHub emulator with files on
// main (a README when files is empty, so that the branch exists) and the
// matching GitRepository in NetBox. It returns the NetBox id and the bare
// repository's directory.
func (e *Env) NewRepo(name string, files map[string][]byte) (int64, string, error) {
	bare, err := e.GitHub.CreateRepo(Owner, name, true, "main")
	if err != nil {
		return 0, "", err
	}
	if len(files) == 0 {
		files = map[string][]byte{"README.md": []byte("# " + name + "\n")}
	}
	if _, err := e.GitHub.SeedFiles(Owner, name, "main", files, "Seed "+name); err != nil {
		return 0, "", err
	}
	r, err := e.NetBox.CreateRepository(netboxsim.Repository{
		Name: name, URL: RepoURL(name), Provider: "github", AuthenticationType: "token",
		DefaultBranch: "main", ValidateSSL: true, HasCredentials: true,
	})
	if err != nil {
		return 0, "", err
	}
	return r.ID, bare, nil
}

// ServeArgs are the arguments of `hnp-gitops serve` against this Env, on
// loopback port 0, with extra appended (later flags win).
func (e *Env) ServeArgs(extra ...string) []string {
	args := []string{"serve",
		"--listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0",
		"--netbox-url=" + e.NetBox.URL(), "--netbox-token=" + NetBoxToken,
		"--github-api-url=" + e.GitHub.URL() + "/", "--github-token=" + GitHubToken,
		"--webhook-secret=" + WebhookSecret, "--api-token=" + APIToken,
		"--batch-window=100ms", "--retry-base-delay=100ms", "--retry-max-delay=2s",
		"--resync-interval=1m", "--shutdown-timeout=10s", "--drain-period=100ms", "--log-level=debug",
	}
	return append(args, extra...)
}

// Setup runs `hnp-gitops netbox setup` against the NetBox emulator, pointing
// the webhook at serviceURL. It returns the command's output.
func (e *Env) Setup(ctx context.Context, serviceURL string) (string, error) {
	var out, errb bytes.Buffer
	code := cli.Run(ctx, []string{"netbox", "setup",
		"--netbox-url=" + e.NetBox.URL(), "--netbox-token=" + NetBoxToken,
		"--service-url=" + serviceURL, "--webhook-secret=" + WebhookSecret,
	}, cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != 0 {
		return out.String(), fmt.Errorf("harness: netbox setup exited %d: %s", code, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// WaitStatus polls the NetBox emulator until the fabric's status is want.
func (e *Env) WaitStatus(ctx context.Context, fabricID int64, want status.Status) (netboxsim.Fabric, error) {
	var last netboxsim.Fabric
	for {
		f, ok := e.NetBox.Fabric(fabricID)
		if ok {
			last = f
			if FabricStatus(f) == want {
				return f, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("harness: fabric %d: status %q (error %q), want %q: %w",
				fabricID, FabricStatus(last), fmt.Sprint(last.CustomFields[status.FieldError]), want, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// FabricStatus returns the fabric's gitops_directory_status value.
func FabricStatus(f netboxsim.Fabric) status.Status {
	switch v := f.CustomFields[status.FieldStatus].(type) {
	case string:
		return status.Status(v)
	case map[string]any:
		s, _ := v["value"].(string)
		return status.Status(s)
	}
	return ""
}

// Service is a running `hnp-gitops serve`.
type Service struct {
	HTTPURL    string // http://127.0.0.1:port
	MetricsURL string

	logs   *logBuffer
	cancel context.CancelFunc
	done   chan int
	cmd    *exec.Cmd
}

// StartInProcess runs `serve` in this process through cli.Run with args
// (see ServeArgs) and waits until it listens.
func StartInProcess(ctx context.Context, args []string) (*Service, error) {
	ctx, cancel := context.WithCancel(ctx)
	s := &Service{logs: newLogBuffer(), cancel: cancel, done: make(chan int, 1)}
	go func() {
		s.done <- cli.Run(ctx, args, cli.Env{Stdout: io.Discard, Stderr: s.logs, Getenv: func(string) string { return "" }})
		s.logs.close()
	}()
	return s, s.waitListening(ctx)
}

// StartProcess runs the built binary with args and waits until it listens.
func StartProcess(ctx context.Context, bin string, args []string) (*Service, error) {
	return StartProcessEnv(ctx, bin, args, nil)
}

// StartProcessEnv is StartProcess with extra environment variables
// ("NAME=value") beside PATH, e.g. HNP_GITOPS_* settings.
func StartProcessEnv(ctx context.Context, bin string, args, env []string) (*Service, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("harness: the hnp-gitops binary is missing (run `make build`): %w", err)
	}
	s := &Service{logs: newLogBuffer(), cancel: func() {}, done: make(chan int, 1)}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout = io.Discard
	s.cmd.Stderr = s.logs
	s.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("harness: start %s: %w", bin, err)
	}
	go func() {
		err := s.cmd.Wait()
		s.logs.close()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		s.done <- code
	}()
	return s, s.waitListening(ctx)
}

func (s *Service) waitListening(ctx context.Context) error {
	deadline := time.After(30 * time.Second)
	for {
		for _, line := range s.logs.lines() {
			var rec struct {
				Msg     string `json:"msg"`
				HTTP    string `json:"http"`
				Metrics string `json:"metrics"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				s.HTTPURL, s.MetricsURL = "http://"+rec.HTTP, "http://"+rec.Metrics
				return nil
			}
		}
		select {
		case code := <-s.done:
			s.done <- code
			return fmt.Errorf("harness: serve exited %d before listening: %s", code, s.Logs())
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("harness: serve did not listen within 30s: %s", s.Logs())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// WaitReady polls /readyz until it answers 200.
func (s *Service) WaitReady(ctx context.Context) error {
	for {
		resp, err := http.Get(s.HTTPURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("harness: /readyz never answered 200: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop ends the service gracefully (context cancel in-process, SIGTERM for a
// process) and returns its exit code, or -1 when it did not exit in time.
func (s *Service) Stop(timeout time.Duration) int {
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
	} else {
		s.cancel()
	}
	return s.Wait(timeout)
}

// Terminate sends SIGTERM (a process) or cancels the context (in
// process) without waiting; Wait then gives the exit code.
func (s *Service) Terminate() {
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		return
	}
	s.cancel()
}

// Kill ends a process service with SIGKILL.
func (s *Service) Kill() {
	if s.cmd != nil {
		_ = s.cmd.Process.Kill()
		s.Wait(10 * time.Second)
	} else {
		s.cancel()
		s.Wait(30 * time.Second)
	}
}

// Wait waits for the service to exit and returns its exit code (-1 on timeout).
func (s *Service) Wait(timeout time.Duration) int {
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(timeout):
		return -1
	}
}

// Logs returns everything the service logged so far.
func (s *Service) Logs() string { return strings.Join(s.logs.lines(), "\n") }

// LogLines returns the log lines so far.
func (s *Service) LogLines() []string { return s.logs.lines() }

// logBuffer collects the service's log lines, safe for concurrent use.
type logBuffer struct {
	mu      sync.Mutex
	partial []byte
	all     []string
}

func newLogBuffer() *logBuffer { return &logBuffer{} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		b.all = append(b.all, string(b.partial[:i]))
		b.partial = b.partial[i+1:]
	}
	return len(p), nil
}

func (b *logBuffer) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.partial) > 0 {
		b.all = append(b.all, string(b.partial))
		b.partial = nil
	}
}

func (b *logBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.all...)
}

// Git runs the git binary and returns its trimmed output. A missing git is a
// clear error, never a pass.
func Git(ctx context.Context, dir string, args ...string) (string, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return "", errors.New("harness: the git binary is required (apt-get install git)")
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "HOME="+os.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("harness: git %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// Clone clones the bare repository's branch with the git binary into a new
// directory under parent: what Argo CD or Flux would see.
func Clone(ctx context.Context, bare, branch, parent string) (string, error) {
	dir, err := os.MkdirTemp(parent, "clone-")
	if err != nil {
		return "", err
	}
	if _, err := Git(ctx, parent, "clone", "--quiet", "--branch", branch, bare, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// Files lists the regular files under dir/sub (slash paths relative to
// dir/sub, sorted), skipping .git.
func Files(dir, sub string) ([]string, error) {
	root := filepath.Join(dir, filepath.FromSlash(sub))
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// ScanLines reports the first line of r that contains one of the secrets.
func ScanLines(r io.Reader, secrets []string) (string, bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		for _, s := range secrets {
			if strings.Contains(sc.Text(), s) {
				return sc.Text(), true
			}
		}
	}
	return "", false
}

// ProcStatusKB reads a field such as VmHWM (peak RSS) or VmRSS, in KiB, of
// /proc/<pid>/status of a service started with StartProcess.
func (s *Service) ProcStatusKB(field string) (int64, error) {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0, errors.New("harness: only a service started with StartProcess has a process of its own")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("harness: /proc/%d/status has no %s", s.cmd.Process.Pid, field)
}
