package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// TestRestartCatchesUp restarts the service (SIGTERM, then a new process
// on the same port) while fabrics are being created and renamed in NetBox,
// which sends each webhook once and never again. With the full resync off,
// every fabric still ends initialized with its latest name in its
// manifest: the new process's first resync pass queues what is not
// initialized and catches up, through NetBox's change log, with the
// renames of initialized fabrics whose webhooks nobody received.
func TestRestartCatchesUp(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	s := startEnv(t, harness.Options{})
	args := s.env.ServeArgs("--listen=127.0.0.1:"+freePort(t), "--full-resync-every=0", "--resync-interval=1h",
		"--drain-period=200ms", "--shutdown-timeout=5s")
	first := startBinary(t, bin, args, nil)
	s.setup(t, first.HTTPURL)
	repoID, bare := s.newRepo(t)

	const fabrics = 24
	names := map[int64]string{}
	var mu sync.Mutex
	stream := func(from, to int, pause time.Duration) {
		for i := from; i < to; i++ {
			f := s.createFabric(t, fmt.Sprintf("fab-%02d", i), repoID, fmt.Sprintf("gitops/fab-%02d", i))
			mu.Lock()
			names[f.ID] = f.Name
			mu.Unlock()
			time.Sleep(pause)
			s.renameSome(t, names, &mu, i)
		}
	}
	stream(0, fabrics/2, 20*time.Millisecond)
	s.waitAllInitialized(t, names, &mu, 30*time.Second)

	// The restart, with the stream going on: renames of initialized
	// fabrics and new fabrics while nothing listens.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); stream(fabrics/2, fabrics, 100*time.Millisecond) }()
	time.Sleep(150 * time.Millisecond)
	if code := first.Stop(10 * time.Second); code != 0 {
		t.Fatalf("first process exited %d after SIGTERM", code)
	}
	down := time.Now()
	time.Sleep(300 * time.Millisecond)
	second := startBinary(t, bin, args, nil)
	restarted := time.Now()
	wg.Wait()

	s.waitUpToDate(t, bare, names, &mu, 60*time.Second)
	failed := 0
	for _, d := range s.env.NetBox.Deliveries() {
		if !d.OK() {
			failed++
		}
	}
	if failed == 0 {
		t.Error("no delivery failed during the restart: the test did not test the catch-up")
	}
	if !strings.Contains(second.Logs(), `"msg":"catch-up"`) {
		t.Errorf("the restarted process logged no catch-up:\n%s", second.Logs())
	}
	if strings.Contains(second.Logs(), "full resync") {
		t.Error("a full resync ran; the catch-up is what was to be shown")
	}
	t.Logf("%d deliveries failed during the restart (down %s); every fabric up to date %s after the new process started",
		failed, restarted.Sub(down).Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))
}

// renameSome renames an earlier fabric (every other step), so that
// initialized fabrics change while the service may not be listening.
func (s *stack) renameSome(t *testing.T, names map[int64]string, mu *sync.Mutex, i int) {
	t.Helper()
	if i%2 == 1 {
		return
	}
	mu.Lock()
	var id int64
	for fid := range names {
		if id == 0 || fid < id || strings.Count(names[fid], "v") < strings.Count(names[id], "v") {
			id = fid
		}
	}
	name := names[id] + "v"
	names[id] = name
	mu.Unlock()
	if _, err := s.env.NetBox.UpdateFabric(id, map[string]any{"name": name}); err != nil {
		t.Fatal(err)
	}
}

func (s *stack) waitAllInitialized(t *testing.T, names map[int64]string, mu *sync.Mutex, d time.Duration) {
	t.Helper()
	mu.Lock()
	ids := make([]int64, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	mu.Unlock()
	for _, id := range ids {
		s.waitStatus(t, id, status.Initialized, d)
	}
}

// waitUpToDate waits until every fabric is initialized and its manifest on
// the branch names its latest name.
func (s *stack) waitUpToDate(t *testing.T, bare string, names map[int64]string, mu *sync.Mutex, d time.Duration) {
	t.Helper()
	stale := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for id, name := range names {
			f, ok := s.env.NetBox.Fabric(id)
			manifest, _ := harness.Git(t.Context(), bare, "show", "main:"+f.GitOpsDirectory+"/"+fgd.PathManifest)
			if !ok || harness.FabricStatus(f) != status.Initialized || !strings.Contains(manifest, "name: "+name+"\n") {
				out = append(out, fmt.Sprintf("%d %s (%s)", id, name, harness.FabricStatus(f)))
			}
		}
		return out
	}
	deadline := time.Now().Add(d)
	for {
		left := stale()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not up to date after %s: %v", d, left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t *testing.T) string { return testkit.FreePort(t) }
