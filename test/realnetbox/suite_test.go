package realnetbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/cli"
	corefabric "github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/netbox"
	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// Fake credentials. The NetBox tokens are the target's; these are the
// rest, recognisable so that leak scans find them.
const (
	githubToken   = "ghp_realsuiteFAKEtoken_0123456789abcdef"
	webhookSecret = "whsec-realsuite-fake-secret"
	apiToken      = "apitoken-realsuite-fake"
	// fakeK8sToken goes into the fabric's kubernetes_token, which HNP
	// returns in plain text in its API and webhook bodies.
	fakeK8sToken = "k8s-FAKE-token-realsuite-0123456789"
	owner        = "hedgehog"
)

// target is one NetBox the shared cases run against.
type target struct {
	name         string
	url          string
	adminToken   string // a superuser's: makes objects as a user does, runs netbox setup
	serviceToken string // the service's own, least-privilege
	// stockHNP: HNP without blank=True on its fabric JSON fields, so
	// NetBox refuses every API create and update of a fabric with 400 and
	// the service runs in its degraded mode (no status write-back).
	stockHNP bool
	// createRepo makes a GitRepository owned by the service's user.
	createRepo func(t *testing.T, name, gitURL string) int64
	// createForeignRepo makes one owned by another user (HNP shows it
	// only to its creator and superusers: hypothesis 5).
	createForeignRepo func(t *testing.T, name, gitURL string) int64
	// createFabricDirect makes a fabric outside any request (the ORM, as
	// nbshell does): NetBox sends no webhook for it.
	createFabricDirect func(t *testing.T, name string, repoID int64, dir string) int64
	// revokeServiceToken makes the service's token invalid until the
	// returned function restores it (nil when it cannot be restored).
	revokeServiceToken func(t *testing.T) (restore func())
	// record, when set, receives every webhook delivery the proxy saw.
	record func(t *testing.T, d delivery)
}

// suite is one service, one GitHub emulator and one webhook proxy in front
// of the service, against one target.
type suite struct {
	tg    target
	gh    *githubsim.Server
	git   *gitHTTPS
	svc   *harness.Service
	proxy *webhookProxy
	ctx   context.Context
}

// runShared runs every shared case, in order, against tg.
func runShared(t *testing.T, tg target) {
	s := startSuite(t, tg)
	t.Run("setup twice", s.caseSetupTwice)
	t.Run("fabric created", s.caseFabricCreated)
	t.Run("repository seeded by HNP", s.caseSeededByHNP)
	t.Run("generic git over HTTPS", s.caseGenericGit)
	t.Run("repository of another user", s.caseForeignRepo)
	t.Run("token revoked", s.caseTokenRevoked)
	t.Run("wrong webhook secret", s.caseWrongSecret)
	t.Run("no secrets", s.caseNoSecrets)
}

func startSuite(t *testing.T, tg target) *suite {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	gh, err := githubsim.New(githubsim.Options{Dir: t.TempDir(), Token: githubToken, Wrap: testkit.Contract(t).Wrap})
	if err != nil {
		t.Fatal(err)
	}
	if err := gh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gh.Close() })
	var rec func(delivery)
	if tg.record != nil {
		rec = func(d delivery) { tg.record(t, d) }
	}
	proxy := startProxy(t, rec)
	git := startGitHTTPS(t)
	tokenMap := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokenMap, []byte(git.host()+"="+gitUser+":"+gitToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	svc, err := harness.StartInProcess(ctx, []string{"serve",
		"--ca-file=" + git.caFile, "--github-token-map-file=" + tokenMap,
		"--listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0",
		"--netbox-url=" + tg.url, "--netbox-token=" + tg.serviceToken,
		"--github-api-url=" + gh.URL() + "/", "--github-token=" + githubToken,
		"--webhook-secret=" + webhookSecret, "--api-token=" + apiToken,
		"--batch-window=100ms", "--retry-base-delay=200ms", "--retry-max-delay=2s",
		"--resync-interval=2s", "--full-resync-every=1", "--drain-period=100ms", "--log-level=debug",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		svc.Stop(15 * time.Second)
		if t.Failed() {
			t.Logf("service log:\n%s", tail(svc.Logs(), 60))
		}
	})
	proxy.setTarget(svc.HTTPURL)
	return &suite{tg: tg, gh: gh, git: git, svc: svc, proxy: proxy, ctx: ctx}
}

// caseSetupTwice: `netbox setup` makes the custom fields, webhook and event
// rule; a second run changes nothing.
func (s *suite) caseSetupTwice(t *testing.T) {
	s.setup(t)
	out := s.setup(t)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if strings.HasPrefix(line, "warning:") || strings.HasPrefix(line, "nothing to change") {
			continue
		}
		if !strings.Contains(line, " unchanged") {
			t.Errorf("second setup changed something: %q\n%s", line, out)
		}
	}
	// An operator adds a header for a proxy in front of the service: a
	// later setup leaves it alone and says so.
	code, body := s.adminAPI(t, http.MethodGet, "extras/webhooks/?name=hnp-gitops", nil)
	var hooks struct {
		Results []struct {
			ID int64 `json:"id"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(body), &hooks); err != nil || code != http.StatusOK || len(hooks.Results) != 1 {
		t.Fatalf("webhook lookup: %d %s", code, body)
	}
	path := fmt.Sprintf("extras/webhooks/%d/", hooks.Results[0].ID)
	if code, body := s.adminAPI(t, http.MethodPatch, path, map[string]any{"additional_headers": "X-Proxy-Auth: operator"}); code != http.StatusOK {
		t.Fatalf("PATCH webhook headers: %d %s", code, body)
	}
	if out := s.setup(t); !strings.Contains(out, "left alone: additional_headers") {
		t.Errorf("setup after an operator's header does not say it left it alone:\n%s", out)
	}
	if _, body := s.adminAPI(t, http.MethodGet, path, nil); !strings.Contains(body, "X-Proxy-Auth: operator") {
		t.Errorf("the operator's header is gone: %s", body)
	}
	if code, body := s.adminAPI(t, http.MethodPatch, path, map[string]any{"additional_headers": ""}); code != http.StatusOK {
		t.Fatalf("PATCH webhook headers back: %d %s", code, body)
	}
	// doctor: all well with the setup token; with the service's own token
	// the extras objects are "not checked", which is not a failure.
	for _, tok := range []string{s.tg.adminToken, s.tg.serviceToken} {
		if out, code := s.doctor(t, tok); code != 0 || strings.Contains(out, "FAIL") {
			t.Errorf("doctor exited %d:\n%s", code, out)
		}
	}
}

// doctor runs `hnp-gitops doctor` with token against the target and returns
// its output and exit code.
func (s *suite) doctor(t *testing.T, token string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(s.ctx, []string{"doctor",
		"--netbox-url=" + s.tg.url, "--netbox-token=" + token,
		"--service-url=" + s.proxy.url, "--webhook-secret=" + webhookSecret,
	}, cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	return out.String() + errb.String(), code
}

func (s *suite) setup(t *testing.T) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(s.ctx, []string{"netbox", "setup",
		"--netbox-url=" + s.tg.url, "--netbox-token=" + s.tg.adminToken,
		"--service-url=" + s.proxy.url, "--webhook-secret=" + webhookSecret,
	}, cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != 0 {
		t.Fatalf("netbox setup exited %d: %s\n%s", code, errb.String(), out.String())
	}
	return out.String()
}

// caseFabricCreated is the user's acceptance case: the three files under
// raw/ of a new fabric's directory; the fabric is created; one commit lays
// out and ingests the directory. Then: an update that changes nothing
// commits nothing; a delete commits nothing and leaves the directory.
func (s *suite) caseFabricCreated(t *testing.T) {
	name := uniqueName("fabric")
	dir := "gitops/hedgehog/" + name
	bare := s.newRepo(t, name, testkit.AcceptanceSeed(t, dir+"/raw"))
	repoID := s.tg.createRepo(t, name, "https://github.com/"+owner+"/"+name+".git")
	id := s.createFabric(t, name, repoID, "/"+dir+"/")

	s.waitCommits(t, bare, 2, 60*time.Second)
	files := testkit.Clone(t, bare, "main")
	testkit.CheckManagedCounts(t, files, dir)
	for p := range files {
		// HNP forces archive_strategy rename_with_extension, which the
		// service honours: the ingested sources stay as *.archived.
		if strings.HasPrefix(p, dir+"/raw/") && p != dir+"/raw/.gitkeep" && !strings.HasSuffix(p, ".archived") {
			t.Errorf("raw/ still holds unprocessed %s", p)
		}
	}
	head := strings.TrimSpace(testkit.Git(t, ".", "--git-dir", bare, "rev-parse", "main"))
	s.checkStatus(t, id, head)
	s.checkJournalSuccess(t, id, head)

	t.Run("no-change update", func(t *testing.T) { s.noChangeUpdate(t, id, bare) })
	t.Run("bulk edit", func(t *testing.T) { s.bulkEdit(t, id, bare) })
	t.Run("change log", func(t *testing.T) { s.changeLog(t, id) })
	t.Run("re-init by editing the status", func(t *testing.T) { s.reinit(t, id, bare) })
	t.Run("deleted", func(t *testing.T) { s.deleted(t, id, bare, dir) })
}

// checkStatus: with a NetBox that takes the status write, the fabric shows
// initialized and the commit; with stock HNP the service reports, through
// its own API, that NetBox refused the write and why.
func (s *suite) checkStatus(t *testing.T, id int64, head string) {
	t.Helper()
	if !s.tg.stockHNP {
		f := s.waitFabricStatus(t, id, status.Initialized, 30*time.Second)
		if u, _ := f.CustomFields[status.FieldCommitURL].(string); !strings.Contains(u, head) {
			t.Errorf("gitops_commit_url = %q, want the head commit %s", u, head)
		}
		// Hypothesis 9: NetBox queues the webhook of the service's own
		// status write before its answer returns; the service still knows
		// it as its own (by request id, else by its fields) and acts not.
		eventually(t, 20*time.Second, "the webhook of the service's own status write is recognised", func() bool {
			return s.metric(t, `hnp_gitops_webhook_deliveries_total{result="self"}`) >= 1
		})
		return
	}
	res := s.waitResult(t, id, func(r result) bool { return r.StatusWriteError != "" }, 30*time.Second)
	if res.Result != "committed" && res.Result != "unchanged" {
		t.Errorf("service result = %+v, want the directory reconciled although the status write failed", res)
	}
	if !strings.Contains(res.StatusWriteError, "blank=True") || !strings.Contains(res.StatusWriteError, "400") {
		t.Errorf("status_write_error = %q, want NetBox's 400 and the blank=True fix", res.StatusWriteError)
	}
	if n := s.metric(t, `hnp_gitops_status_write_failures_total{code="400"}`); n < 1 {
		t.Errorf("status_write_failures_total{code=400} = %v, want >= 1", n)
	}
	if !strings.Contains(s.svc.Logs(), "blank=True") {
		t.Error("the service's log does not name the blank=True fix")
	}
}

// noChangeUpdate edits the fabric's description: NetBox's webhook (or, on
// stock HNP where the edit is refused, a reconcile through the service's
// API) reconciles a directory already in its target state: no commit.
func (s *suite) noChangeUpdate(t *testing.T, id int64, bare string) {
	before := s.commits(t, bare)
	asked := time.Now()
	code, body := s.adminREST(t, http.MethodPatch, fmt.Sprintf("fabrics/%d/", id), map[string]any{"description": "edited by the real suite"})
	if s.tg.stockHNP {
		checkBlankRefusal(t, code, body)
		s.reconcileNow(t, id)
	} else {
		if code != http.StatusOK {
			t.Fatalf("PATCH description: %d %s", code, body)
		}
		s.proxy.waitDeliveryAfter(t, id, "updated", asked, 30*time.Second)
	}
	res := s.waitResult(t, id, func(r result) bool { return r.Time.After(asked) }, 30*time.Second)
	if res.Result != "unchanged" {
		t.Errorf("result after an update that changes nothing: %+v, want unchanged", res)
	}
	time.Sleep(time.Second)
	if after := s.commits(t, bare); after != before {
		t.Errorf("an update that changes nothing made %d commit(s)", after-before)
	}
	// A no-op writes no journal entry (on stock HNP neither do the
	// retries of the refused status write: they repeat the commit's).
	if got := s.journal(t, id); len(got) != 1 {
		t.Errorf("journal after a no-op: %d entries, want still the commit's one:\n%s", len(got), journalText(got))
	}
}

// bulkEdit edits the fabric through NetBox's bulk PATCH (a list body):
// one webhook per object, nothing to commit.
func (s *suite) bulkEdit(t *testing.T, id int64, bare string) {
	before := s.commits(t, bare)
	asked := time.Now()
	code, body := s.adminREST(t, http.MethodPatch, "fabrics/", []map[string]any{{"id": id, "description": "bulk edit"}})
	if s.tg.stockHNP {
		if code != http.StatusBadRequest || !strings.Contains(body, "This field cannot be blank.") {
			t.Fatalf("bulk PATCH on stock HNP: %d %s; want 400 blank", code, body)
		}
		return
	}
	if code != http.StatusOK {
		t.Fatalf("bulk PATCH: %d %s", code, body)
	}
	s.proxy.waitDeliveryAfter(t, id, "updated", asked, 30*time.Second)
	if res := s.waitResult(t, id, func(r result) bool { return r.Time.After(asked) }, 30*time.Second); res.Result != "unchanged" {
		t.Errorf("result after a bulk edit: %+v, want unchanged", res)
	}
	if after := s.commits(t, bare); after != before {
		t.Errorf("a bulk edit that changes nothing made %d commit(s)", after-before)
	}
}

// changeLog reads NetBox's change log with the service's token, as the
// catch-up after a restart does: the fabric's create and the users' edits
// are there, the service's own status writes are marked status-only.
// Stock HNP refuses API writes of a fabric (it was made through the ORM,
// which logs no change): there the read itself is what is checked.
func (s *suite) changeLog(t *testing.T, id int64) {
	c, err := netbox.New(netbox.Options{BaseURL: s.tg.url, Token: s.tg.serviceToken, RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	changes, err := netbox.Fabrics{Client: c}.Changes(s.ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatalf("Changes with the service's token: %v", err)
	}
	var edits, own int
	for _, ch := range changes {
		if ch.Kind != corefabric.FabricChanged || ch.ID != id {
			continue
		}
		if ch.StatusOnly {
			own++
		} else {
			edits++
		}
	}
	if s.tg.stockHNP {
		return
	}
	// The create, the description edit and the bulk edit; at least the
	// initializing and initialized writes of the service.
	if edits < 3 || own < 2 {
		t.Errorf("change log of fabric %d: %d edits, %d status-only writes; want >= 3 and >= 2 (%d entries in all)", id, edits, own, len(changes))
	}
}

// reinit sets the fabric's status field back to not_initialized, as a
// user asks for a fresh run: the service runs again (initializing, then
// initialized) and, the directory being in its target state, commits
// nothing. Stock HNP refuses the edit.
func (s *suite) reinit(t *testing.T, id int64, bare string) {
	before := s.commits(t, bare)
	asked := time.Now()
	code, body := s.adminREST(t, http.MethodPatch, fmt.Sprintf("fabrics/%d/", id),
		map[string]any{"custom_fields": map[string]any{status.FieldStatus: string(status.NotInitialized)}})
	if s.tg.stockHNP {
		checkBlankRefusal(t, code, body)
		return
	}
	if code != http.StatusOK {
		t.Fatalf("PATCH status: %d %s", code, body)
	}
	res := s.waitResult(t, id, func(r result) bool { return r.Time.After(asked) && r.Status == string(status.Initialized) }, 30*time.Second)
	if res.Result != "unchanged" {
		t.Errorf("re-init result: %+v, want unchanged and initialized", res)
	}
	s.waitFabricStatus(t, id, status.Initialized, 30*time.Second)
	if after := s.commits(t, bare); after != before {
		t.Errorf("a re-init of a directory in its target state made %d commit(s)", after-before)
	}
}

// deleted: deleting a fabric commits nothing and leaves its directory.
func (s *suite) deleted(t *testing.T, id int64, bare, dir string) {
	before := s.commits(t, bare)
	if code, body := s.adminREST(t, http.MethodDelete, fmt.Sprintf("fabrics/%d/", id), nil); code != http.StatusNoContent {
		t.Fatalf("DELETE fabric: %d %s", code, body)
	}
	asked := time.Now()
	s.reconcileNow(t, id)
	// A reconcile in flight when the fabric went (stock HNP: the status
	// write retries) may end first; the next one must see it deleted.
	res := s.waitResult(t, id, func(r result) bool { return r.Time.After(asked) && r.Result == "deleted" }, 20*time.Second)
	if res.Error != "" || res.StatusWriteError != "" {
		t.Errorf("result of a deleted fabric: %+v, want deleted without error", res)
	}
	if after := s.commits(t, bare); after != before {
		t.Errorf("deleting the fabric made %d commit(s)", after-before)
	}
	files := testkit.Clone(t, bare, "main")
	if _, ok := files[dir+"/.hnp/manifest.yaml"]; !ok {
		t.Errorf("the directory of the deleted fabric was removed")
	}
}

// hnpSeed is what HNP's own post-save signal pushes to a github.com
// repository for a fabric (hypothesis 8; it never reaches GitHub offline):
// .gitkeep files for raw/, unmanaged/ and each managed/<kind>/, a README.md,
// and .hnp/manifest.yaml and .hnp/archive-log.yaml holding a comment line
// and JSON text.
func hnpSeed(dir, fabricName string) map[string][]byte {
	files := map[string][]byte{
		dir + "/README.md":          []byte("# GitOps directory of " + fabricName + "\n\nManaged by the Hedgehog NetBox Plugin.\n"),
		dir + "/raw/.gitkeep":       {},
		dir + "/unmanaged/.gitkeep": {},
		dir + "/.hnp/manifest.yaml": []byte("# HNP GitOps Manifest\n{\n  \"version\": \"1.0\",\n  \"fabric_name\": \"" + fabricName +
			"\",\n  \"directories\": {\"raw\": \"raw\", \"managed\": \"managed\", \"metadata\": \".hnp\"},\n  \"archive_strategy\": \"rename_with_extension\"\n}"),
		dir + "/.hnp/archive-log.yaml": []byte("# HNP Archive Log\n{\n  \"version\": \"1.0\",\n  \"operations\": []\n}"),
	}
	for _, kind := range []string{"connections", "servers", "switches", "switchgroups", "vlannamespaces", "vpcs", "externals",
		"externalattachments", "externalpeerings", "ipv4namespaces", "vpcattachments", "vpcpeerings"} {
		files[dir+"/managed/"+kind+"/.gitkeep"] = []byte{}
	}
	return files
}

// caseSeededByHNP: a repository that already holds what HNP's signal
// writes, plus the user's files in raw/, is reconciled cleanly in one
// commit: HNP's JSON-text manifest is replaced by the service's.
func (s *suite) caseSeededByHNP(t *testing.T) {
	name := uniqueName("seeded")
	dir := "gitops/" + name
	seed := hnpSeed(dir, name)
	for f, b := range testkit.Fixtures(t) {
		seed[dir+"/raw/"+f] = b
	}
	bare := s.newRepo(t, name, seed)
	repoID := s.tg.createRepo(t, name, "https://github.com/"+owner+"/"+name+".git")
	id := s.createFabric(t, name, repoID, "/"+dir+"/")
	s.waitCommits(t, bare, 2, 60*time.Second)
	files := testkit.Clone(t, bare, "main")
	testkit.CheckManagedCounts(t, files, dir)
	if m := files[dir+"/.hnp/manifest.yaml"]; strings.Contains(m, "HNP GitOps Manifest") {
		t.Errorf("HNP's manifest was kept:\n%s", m)
	}
	head := strings.TrimSpace(testkit.Git(t, ".", "--git-dir", bare, "rev-parse", "main"))
	s.checkStatus(t, id, head)
}

// caseGenericGit is the acceptance case on a repository that is not on
// GitHub: git's own http-backend over HTTPS (a private CA, basic auth), so
// the one commit goes through the git protocol. `git clone` shows what Argo
// CD or Flux would see.
func (s *suite) caseGenericGit(t *testing.T) {
	name := uniqueName("generic")
	dir := "gitops/" + name
	gitURL, bare := s.git.newRepo(t, name, testkit.AcceptanceSeed(t, dir+"/raw"))
	repoID := s.tg.createRepo(t, name, gitURL)
	id := s.createFabric(t, name, repoID, "/"+dir+"/")
	s.waitCommits(t, bare, 2, 60*time.Second)
	files := testkit.Clone(t, bare, "main")
	testkit.CheckManagedCounts(t, files, dir)
	head := strings.TrimSpace(testkit.Git(t, ".", "--git-dir", bare, "rev-parse", "main"))
	s.checkStatus(t, id, head)
	if logs := s.svc.Logs(); strings.Contains(logs, gitToken) {
		t.Error("the service's log holds the git server's token")
	}
}

// caseForeignRepo: a fabric on a repository another user made: the
// service cannot see it (404) and says so, with the fix, instead of
// committing anywhere.
func (s *suite) caseForeignRepo(t *testing.T) {
	name := uniqueName("foreign")
	s.newRepo(t, name, nil)
	repoID := s.tg.createForeignRepo(t, name, "https://github.com/"+owner+"/"+name+".git")
	id := s.createFabric(t, name, repoID, "/gitops/"+name+"/")
	res := s.waitResult(t, id, func(r result) bool { return r.Error != "" }, 30*time.Second)
	if res.Result != "failed" || !strings.Contains(res.Error, "was not found in NetBox") {
		t.Errorf("result on another user's repository: %+v; want failed, repository not found", res)
	}
	s.checkJournalFailure(t, id, "was not found in NetBox")
	if !s.tg.stockHNP {
		f := s.waitFabricStatus(t, id, status.Error, 30*time.Second)
		if e, _ := f.CustomFields[status.FieldError].(string); !strings.Contains(e, "was not found in NetBox") {
			t.Errorf("directory_init_error = %q", e)
		}
	}
	// doctor, with the service's token, names the repository and why.
	out, code := s.doctor(t, s.tg.serviceToken)
	if code == 0 || !strings.Contains(out, fmt.Sprintf("repository %d (fabric %s)", repoID, name)) || !strings.Contains(out, "only to its creator") {
		t.Errorf("doctor on another user's repository exited %d:\n%s", code, out)
	}
	// The fabric stays in error; later cases read other fabrics only.
	if code, body := s.adminREST(t, http.MethodDelete, fmt.Sprintf("fabrics/%d/", id), nil); code != http.StatusNoContent {
		t.Fatalf("DELETE fabric: %d %s", code, body)
	}
}

// caseTokenRevoked: with its NetBox token revoked, a reconcile ends in a
// clear error in the service's API result and log, and the NetBox error
// metric counts NetBox's 403 (NetBox 4.3 answers an invalid token with
// 403 "Invalid token", not 401).
func (s *suite) caseTokenRevoked(t *testing.T) {
	name := uniqueName("revoked")
	s.newRepo(t, name, nil)
	repoID := s.tg.createRepo(t, name, "https://github.com/"+owner+"/"+name+".git")
	// Never "/" nor any directory that exists on the NetBox host: HNP's
	// signal renames every YAML file below a fabric's directory there.
	id := s.tg.createFabricDirect(t, name, repoID, "/gitops/hedgehog/"+name+"/")
	before := s.metric(t, `hnp_gitops_netbox_errors_total{code="403"}`)
	restore := s.tg.revokeServiceToken(t)
	if restore != nil {
		defer restore()
	}
	asked := time.Now()
	s.reconcileNow(t, id)
	res := s.waitResult(t, id, func(r result) bool { return r.Time.After(asked) }, 20*time.Second)
	if !strings.Contains(res.Error, "Invalid token") || !strings.Contains(res.Error, "403") {
		t.Errorf("result with a revoked token: %+v; want an error quoting NetBox's 403 Invalid token", res)
	}
	if after := s.metric(t, `hnp_gitops_netbox_errors_total{code="403"}`); after <= before {
		t.Errorf("netbox_errors_total{code=403}: %v before, %v after; want it counted", before, after)
	}
	if !strings.Contains(s.svc.Logs(), "Invalid token") {
		t.Error("the service's log does not say the token is invalid")
	}
}

// caseWrongSecret: a real NetBox body signed with another secret is
// rejected and counted.
func (s *suite) caseWrongSecret(t *testing.T) {
	// Stock HNP sends no webhook at all (every API write of a fabric is
	// refused): replay a delivery the real worker sent, from testdata.
	d, ok := s.proxy.any()
	if !ok {
		d = recordedDelivery(t)
	}
	before := s.metric(t, `hnp_gitops_webhook_deliveries_total{result="bad_signature"}`)
	req, _ := http.NewRequest(http.MethodPost, s.svc.HTTPURL+"/webhooks/netbox", bytes.NewReader(d.Body))
	for k, v := range d.Header {
		req.Header[k] = v
	}
	req.Header.Set("X-Hook-Signature", sign([]byte("not-the-secret"), d.Body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		t.Errorf("wrong signature answered %d, want 401 or 403", resp.StatusCode)
	}
	if after := s.metric(t, `hnp_gitops_webhook_deliveries_total{result="bad_signature"}`); after != before+1 {
		t.Errorf("bad_signature count %v -> %v, want +1", before, after)
	}
}

// caseNoSecrets: no credential, and not HNP's plain-text kubernetes_token,
// appears in the service's log or a commit.
func (s *suite) caseNoSecrets(t *testing.T) {
	logs := s.svc.Logs()
	for _, secret := range []string{githubToken, webhookSecret, apiToken, fakeK8sToken, gitToken, s.tg.serviceToken, s.tg.adminToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("the service's log holds a secret (%d chars)", len(secret))
		}
	}
}

// createFabric creates a fabric as a user of HNP 705549aa can: through
// its REST API, with the JSON fields left to their defaults. On stock HNP
// NetBox refuses that (hypothesis 2), so the fabric is made as nbshell
// would, and the service finds it on its resync.
func (s *suite) createFabric(t *testing.T, name string, repoID int64, dir string) int64 {
	t.Helper()
	code, body := s.adminREST(t, http.MethodPost, "fabrics/", map[string]any{
		"name": name, "git_repository": repoID, "gitops_directory": dir,
		"kubernetes_server": "https://k8s.example.invalid:6443", "kubernetes_token": fakeK8sToken,
	})
	if s.tg.stockHNP {
		checkBlankRefusal(t, code, body)
		return s.tg.createFabricDirect(t, name, repoID, dir)
	}
	if code != http.StatusCreated {
		t.Fatalf("POST fabric: %d %s", code, body)
	}
	var f struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &f); err != nil || f.ID == 0 {
		t.Fatalf("POST fabric answer: %v %s", err, body)
	}
	return f.ID
}

// checkBlankRefusal asserts NetBox's answer to an API write of a fabric on
// stock HNP: 400, "This field cannot be blank." on the three JSON fields.
func checkBlankRefusal(t *testing.T, code int, body string) {
	t.Helper()
	var errs map[string][]string
	_ = json.Unmarshal([]byte(body), &errs)
	if code != http.StatusBadRequest {
		t.Fatalf("stock HNP answered %d %s; want 400 (hypothesis 1/2)", code, body)
	}
	for _, k := range []string{"scheduler_metadata", "active_sync_tasks", "watch_crd_types"} {
		if len(errs[k]) != 1 || errs[k][0] != "This field cannot be blank." {
			t.Errorf("400 answer for %s = %v, want [This field cannot be blank.]", k, errs[k])
		}
	}
}

func (s *suite) newRepo(t *testing.T, name string, files map[string][]byte) string {
	t.Helper()
	bare, err := s.gh.CreateRepo(owner, name, true, "main")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		files = map[string][]byte{"README.md": []byte("# " + name + "\n")}
	}
	if _, err := s.gh.SeedFiles(owner, name, "main", files, "Seed "+name); err != nil {
		t.Fatal(err)
	}
	return bare
}

func (s *suite) commits(t *testing.T, bare string) int {
	t.Helper()
	var n int
	fmt.Sscan(testkit.Git(t, ".", "--git-dir", bare, "rev-list", "--count", "main"), &n)
	return n
}

func (s *suite) waitCommits(t *testing.T, bare string, want int, d time.Duration) {
	t.Helper()
	eventually(t, d, fmt.Sprintf("main has %d commits", want), func() bool { return s.commits(t, bare) >= want })
	if got := s.commits(t, bare); got != want {
		t.Fatalf("main has %d commits, want exactly %d (one atomic commit)", got, want)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1e9)
}

func readAll(r io.Reader) string { b, _ := io.ReadAll(r); return string(b) }
