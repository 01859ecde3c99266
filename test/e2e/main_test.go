package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// fixtureDir holds the user's three real files (46 + 1 + 1 Hedgehog CRs).
const fixtureDir = "../../testdata/hnp-fabric-1"

// fgdPath is the FGD of the user's report.
const fgdPath = "gitops/hedgehog/fabric-1"

// TestMain removes the binary the SIGTERM test builds.
func TestMain(m *testing.M) {
	before := goleak.IgnoreCurrent()
	code := m.Run()
	cleanupBinary()
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(before); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func fixtures(t *testing.T) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatalf("the acceptance fixtures are missing (testdata/hnp-fabric-1): %v", err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(fixtureDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	if len(out) != 3 {
		t.Fatalf("want the 3 fixture files, found %d", len(out))
	}
	return out
}

// stack is both emulators, `netbox setup` and a running `serve`.
type stack struct {
	env *harness.Env
	svc *harness.Service
	dir string
}

func startStack(t *testing.T, o harness.Options, extraArgs ...string) *stack {
	t.Helper()
	s := startEnv(t, o)
	s.startService(t, extraArgs...)
	s.setup(t, s.svc.HTTPURL)
	return s
}

// startEnv starts both emulators only: no service, no setup.
func startEnv(t *testing.T, o harness.Options) *stack {
	t.Helper()
	o.Dir = t.TempDir()
	if o.GitHub.Wrap == nil {
		// Every exchange with the GitHub emulator is held to GitHub's
		// description.
		o.GitHub.Wrap = testkit.Contract(t).Wrap
	}
	env, err := harness.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	return &stack{env: env, dir: o.Dir}
}

// setup runs `netbox setup` with the webhook pointing at serviceURL.
func (s *stack) setup(t *testing.T, serviceURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := s.env.Setup(ctx, serviceURL); err != nil {
		t.Fatal(err)
	}
}

func (s *stack) startService(t *testing.T, extraArgs ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	svc, err := harness.StartInProcess(context.Background(), s.env.ServeArgs(extraArgs...))
	if err != nil {
		t.Fatal(err)
	}
	s.svc = svc
	t.Cleanup(func() {
		if code := svc.Stop(30 * time.Second); code != 0 {
			t.Errorf("serve exited %d", code)
		}
		if line, leaked := harness.ScanLines(stringsReader(svc.Logs()), harness.Secrets); leaked {
			t.Errorf("a secret leaked into the logs: %s", line)
		}
		if t.Failed() {
			t.Logf("serve logs:\n%s", svc.Logs())
		}
	})
	if err := svc.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}

func (s *stack) createFabric(t *testing.T, name string, repoID int64, dir string) netboxsim.Fabric {
	t.Helper()
	f, err := s.env.NetBox.CreateFabric(netboxsim.Fabric{Name: name, GitRepository: repoID, GitOpsDirectory: dir})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (s *stack) waitStatus(t *testing.T, id int64, want status.Status, timeout time.Duration) netboxsim.Fabric {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	f, err := s.env.WaitStatus(ctx, id, want)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (s *stack) clone(t *testing.T, bare string) string {
	t.Helper()
	dir, err := harness.Clone(context.Background(), bare, "main", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func (s *stack) git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := harness.Git(context.Background(), dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// newRepo creates the repository fabric-config seeded with the acceptance
// files under fgdPath/raw, and returns its NetBox id and bare path.
func (s *stack) newRepo(t *testing.T) (int64, string) {
	t.Helper()
	repoID, bare, err := s.env.NewRepo("fabric-config", rawSeed(t, fgdPath))
	if err != nil {
		t.Fatal(err)
	}
	return repoID, bare
}

// initFabric creates fabric-1 on a new seeded repository and waits until
// it is initialized: the fabric as created, the bare repository, and the
// fabric as read once initialized.
func (s *stack) initFabric(t *testing.T) (f netboxsim.Fabric, bare string, first netboxsim.Fabric) {
	t.Helper()
	repoID, bare := s.newRepo(t)
	f = s.createFabric(t, "fabric-1", repoID, fgdPath)
	return f, bare, s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
}
