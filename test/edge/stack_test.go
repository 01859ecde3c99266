package edge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/nbwire"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// stack is both emulators, `netbox setup` and a running `serve`. Whatever
// the service answered, logged, wrote into NetBox or committed is scanned
// for the harness's secrets when the row ends.
type stack struct {
	env   *harness.Env
	svc   *harness.Service
	bares []string

	mu      sync.Mutex
	answers []string // HTTP answers the service gave a row
}

// edgeArgs keep the resync out of the way (a row decides what is queued)
// and time out quickly.
var edgeArgs = []string{"--resync-interval=1h", "--github-timeout=5s", "--netbox-timeout=5s"}

func newStack(t *testing.T, extraArgs ...string) *stack {
	t.Helper()
	return startStack(t, false, extraArgs...)
}

// startStack starts the service in-process, or as a process of the built
// binary (so that its memory can be read from /proc).
func startStack(t *testing.T, process bool, extraArgs ...string) *stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	env, err := harness.Start(harness.Options{Dir: t.TempDir(), GitHub: githubsim.Options{RateLimit: 1 << 30, Wrap: testkit.Contract(t).Wrap}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	s := &stack{env: env}
	args := env.ServeArgs(append(append([]string{}, edgeArgs...), extraArgs...)...)
	if process {
		s.svc, err = harness.StartProcess(ctx, binPath, args)
	} else {
		s.svc, err = harness.StartInProcess(context.Background(), args)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if code := s.svc.Stop(30 * time.Second); code != 0 {
			t.Errorf("serve exited %d", code)
		}
		s.scanSecrets(t)
		if t.Failed() {
			t.Logf("serve logs:\n%s", s.svc.Logs())
		}
	})
	if err := s.svc.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Setup(ctx, s.svc.HTTPURL); err != nil {
		t.Fatal(err)
	}
	return s
}

// scanSecrets fails the row if a secret appears in a log line, an answer of
// the service, a custom-field value ever written or a commit.
func (s *stack) scanSecrets(t *testing.T) {
	t.Helper()
	var texts []string
	texts = append(texts, s.svc.LogLines()...)
	s.mu.Lock()
	texts = append(texts, s.answers...)
	s.mu.Unlock()
	for _, f := range s.env.NetBox.Fabrics() {
		b, _ := json.Marshal(f.CustomFields)
		texts = append(texts, string(b))
		for _, p := range s.env.NetBox.PatchLog(f.ID) {
			b, _ := json.Marshal(p.CustomFields)
			texts = append(texts, string(b))
		}
	}
	for _, bare := range s.bares {
		if out, err := harness.Git(context.Background(), bare, "log", "--all", "-p", "--format=fuller"); err == nil {
			texts = append(texts, out)
		} else {
			t.Error(err)
		}
	}
	for _, text := range texts {
		if line, leaked := harness.ScanLines(strings.NewReader(text), harness.Secrets); leaked {
			t.Errorf("a secret leaked: %.300s", line)
		}
	}
}

// repo creates a repository with files (paths relative to the repository)
// and its NetBox GitRepository.
func (s *stack) repo(t *testing.T, name string, files map[string][]byte) (int64, string) {
	t.Helper()
	id, bare, err := s.env.NewRepo(name, files)
	if err != nil {
		t.Fatal(err)
	}
	s.bares = append(s.bares, bare)
	return id, bare
}

// fabric creates a fabric through the API, so that NetBox sends its
// webhook.
func (s *stack) fabric(t *testing.T, name string, repoID int64, dir string) netboxsim.Fabric {
	t.Helper()
	f, err := s.env.NetBox.CreateFabric(netboxsim.Fabric{Name: name, GitRepository: repoID, GitOpsDirectory: dir})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// waitSettled polls until the fabric's status is one a reconcile ends in
// (not empty, not initializing) and returns it.
func (s *stack) waitSettled(t *testing.T, id int64, timeout time.Duration) netboxsim.Fabric {
	t.Helper()
	end := time.Now().Add(timeout)
	for {
		f, ok := s.env.NetBox.Fabric(id)
		st := harness.FabricStatus(f)
		if ok && st != "" && st != status.NotInitialized && st != status.Initializing {
			return f
		}
		if time.Now().After(end) {
			t.Fatalf("fabric %d: status %q after %s", id, st, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStatus waits for want and fails with the fabric's error otherwise.
func (s *stack) waitStatus(t *testing.T, id int64, want status.Status, timeout time.Duration) netboxsim.Fabric {
	t.Helper()
	f := s.waitSettled(t, id, timeout)
	if got := harness.FabricStatus(f); got != want {
		t.Fatalf("fabric %d: status %q (error %q), want %q", id, got, f.CustomFields[status.FieldError], want)
	}
	return f
}

// post sends a webhook body with the given X-Hook-Signature ("" for none).
func (s *stack) post(t *testing.T, body io.Reader, signature string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.svc.HTTPURL+"/webhooks/netbox", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(netboxhook.SignatureHeader, signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	s.mu.Lock()
	s.answers = append(s.answers, string(b))
	s.mu.Unlock()
	return resp.StatusCode, string(b)
}

// postSigned sends body signed with the harness's webhook secret.
func (s *stack) postSigned(t *testing.T, body []byte) (int, string) {
	t.Helper()
	return s.post(t, bytes.NewReader(body), netboxhook.Sign([]byte(harness.WebhookSecret), body))
}

// event renders a webhook body as the emulated NetBox (4.2) sends it.
func event(t *testing.T, kind, objectType string, id int64, pre, post map[string]any) []byte {
	t.Helper()
	ev := &netboxhook.Event{
		Event: kind, Timestamp: time.Now(), ObjectType: objectType,
		Model: objectType[strings.LastIndexByte(objectType, '.')+1:], Username: "admin",
		RequestID: "9b1e0a6c-1111-4222-8333-444455556666",
		Data:      map[string]any{"id": json.Number(strconv.FormatInt(id, 10)), "name": "x"},
		Prechange: pre, Postchange: post,
	}
	b, err := nbwire.Body(nbwire.Form40, ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const fabricType = "netbox_hedgehog.hedgehogfabric"

// metric returns the value of one sample of the service's /metrics, 0 when
// absent. labels is the exact label text, e.g. `result="ignored"`.
func (s *stack) metric(t *testing.T, name, labels string) float64 {
	t.Helper()
	resp, err := http.Get(s.svc.MetricsURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	want := name
	if labels != "" {
		want += "{" + labels + "}"
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), want+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// fabricGets counts the GET requests for single fabrics NetBox answered.
func (s *stack) fabricGets() int {
	n := 0
	for k, v := range s.env.NetBox.Stats().Requests {
		if strings.HasPrefix(k, "GET ") && strings.Contains(k, "/fabrics/{id}") {
			n += v
		}
	}
	return n
}

// clone clones the bare repository's main branch.
func clone(t *testing.T, bare string) string {
	t.Helper()
	dir, err := harness.Clone(context.Background(), bare, "main", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// git runs the git binary in dir, trimmed output; a failure fails the test.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(testkit.Git(t, dir, args...))
}

// archiveEntry is one entry of .hnp/archive-log.yaml.
type archiveEntry struct {
	Source  string   `yaml:"source"`
	Action  string   `yaml:"action"`
	Reason  string   `yaml:"reason"`
	Outputs []string `yaml:"outputs"`
}

func archiveLog(t *testing.T, dir string) map[string]archiveEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ".hnp", "archive-log.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var es []archiveEntry
	if err := yaml.Unmarshal(b, &es); err != nil {
		t.Fatalf("archive log: %v", err)
	}
	out := map[string]archiveEntry{}
	for _, e := range es {
		out[e.Source] = e
	}
	return out
}

// changedPaths lists the paths the last commit on main changed.
func changedPaths(t *testing.T, bare string) []string {
	t.Helper()
	out := git(t, bare, "diff-tree", "--no-commit-id", "--name-only", "-r", "main~1", "main")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

func oneLine(s string) bool { return !strings.ContainsAny(s, "\r\n") }

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("edge: %v", err))
	}
	return v
}
