package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// fastArgs make the resync loop and the retries quick enough for a test:
// a resync every ~500ms, every second one a full resync.
var fastArgs = []string{"--resync-interval=500ms", "--full-resync-every=2", "--retry-base-delay=50ms", "--retry-max-delay=1s"}

// rawSeed returns the fixture files under <dir>/raw/ for each dir, plus a
// README, ready for NewRepo.
func rawSeed(t *testing.T, dirs ...string) map[string][]byte {
	t.Helper()
	seed := map[string][]byte{"README.md": []byte("# fabric config\n")}
	for _, dir := range dirs {
		for name, b := range fixtures(t) {
			seed[path.Join(dir, "raw", name)] = b
		}
	}
	return seed
}

// eventually polls cond every 20ms until it holds, failing the test with
// what after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// commits is the number of commits on the bare repository's main.
func (s *stack) commits(t *testing.T, bare string) int {
	t.Helper()
	n, err := strconv.Atoi(s.git(t, bare, "rev-list", "--count", "main"))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// noSecrets fails the test when a harness credential appears in a custom
// field of any fabric or in any commit message of the bare repositories.
// The service's logs are scanned by startService's cleanup.
func (s *stack) noSecrets(t *testing.T, bares ...string) {
	t.Helper()
	for _, f := range s.env.NetBox.Fabrics() {
		for k, v := range f.CustomFields {
			for _, secret := range harness.Secrets {
				if strings.Contains(fmt.Sprint(v), secret) {
					t.Errorf("fabric %d custom field %s holds a secret: %v", f.ID, k, v)
				}
			}
		}
		for _, e := range s.env.NetBox.PatchLog(f.ID) {
			for k, v := range e.CustomFields {
				for _, secret := range harness.Secrets {
					if strings.Contains(fmt.Sprint(v), secret) {
						t.Errorf("a write to fabric %d field %s held a secret: %v", f.ID, k, v)
					}
				}
			}
		}
	}
	for _, bare := range bares {
		log := s.git(t, bare, "log", "--all", "--format=%an <%ae> %cn <%ce>%n%B")
		if line, leaked := harness.ScanLines(strings.NewReader(log), harness.Secrets); leaked {
			t.Errorf("a secret leaked into a commit of %s: %s", bare, line)
		}
	}
}

// serviceWrites returns the custom-field writes the service made to a
// fabric (helper writes, which stand for a user, are left out).
func serviceWrites(nb *netboxsim.Server, id int64) []netboxsim.PatchEntry {
	var out []netboxsim.PatchEntry
	for _, e := range nb.PatchLog(id) {
		if !e.Helper {
			out = append(out, e)
		}
	}
	return out
}

// statusSequence is the gitops_directory_status values the service wrote,
// in order.
func statusSequence(entries []netboxsim.PatchEntry) []string {
	var out []string
	for _, e := range entries {
		if v, ok := e.CustomFields[status.FieldStatus]; ok {
			out = append(out, fmt.Sprint(v))
		}
	}
	return out
}

// freeAddr returns a loopback address nothing listens on (it was free a
// moment ago).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// metric returns the value of one sample of the service's /metrics, e.g.
// `hnp_gitops_webhook_deliveries_total{result="self"}`; 0 when absent.
func metric(t *testing.T, svc *harness.Service, sample string) float64 {
	t.Helper()
	resp, err := http.Get(svc.MetricsURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric %s: %v", sample, err)
			}
			return f
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return 0
}

// The binary of the SIGTERM test, built once per test run.
var build struct {
	once sync.Once
	bin  string
	err  error
	dir  string
}

// binary builds ./cmd/hnp-gitops with the go command of this toolchain and
// returns its path. A build failure fails the test; it never skips.
func binary(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		gobin, err := goCommand()
		if err != nil {
			build.err = err
			return
		}
		build.dir, build.err = os.MkdirTemp("", "hnp-gitops-e2e-bin-")
		if build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "hnp-gitops")
		cmd := exec.Command(gobin, "build", "-o", build.bin, "github.com/githedgehog/hnp-gitops/cmd/hnp-gitops")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/hnp-gitops: %w: %s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

// goCommand finds the go command: on PATH, or under GOROOT.
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("the go command is needed to build the binary for the SIGTERM test: not on PATH and GOROOT unset")
}

// cleanupBinary removes the built binary (called from TestMain).
func cleanupBinary() {
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
}

// waitCtx is a context bounded by d, cancelled at the test's end.
func waitCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// drain reads and closes a response body.
func drain(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b)
}
