package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/cli"
	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/pkg/githook"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// noResyncArgs switch the periodic resync off for the length of a test
// (its first pass runs at start, before anything is pushed) and turn git
// webhooks on.
var noResyncArgs = []string{"--resync-interval=1h", "--git-webhook-secret=" + harness.GitWebhookSecret}

// hookVPC is a VPC no fixture has, as a person would drop it into raw/.
func hookVPC(name string) []byte {
	return fmt.Appendf(nil, "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: %s\n  namespace: default\n"+
		"spec:\n  subnets:\n    hook-subnet:\n      subnet: 10.0.99.0/24\n      gateway: 10.0.99.1\n      vlan: 1099\n", name)
}

// managedHas reports whether a YAML file under the FGD's managed/ on the
// bare repository's main holds the VPC and raw/<name>.yaml is gone. A read
// that races with a ref update counts as not yet.
func managedHas(bare, name string) bool {
	// The emulator's go-git rewrites a ref file in place; a read in that
	// instant sees a broken ref.
	ctx := context.Background()
	head, err := harness.Git(ctx, bare, "rev-parse", "--verify", "--quiet", "main^{commit}")
	if err != nil {
		return false
	}
	head = strings.TrimSpace(head)
	hits, err := harness.Git(ctx, bare, "grep", "-l", "-E", "^[[:space:]]*name: "+name+"$", head, "--", path.Join(fgdPath, "managed"))
	if err != nil || strings.TrimSpace(hits) == "" {
		return false
	}
	raw, err := harness.Git(ctx, bare, "ls-tree", "--name-only", head, "--", path.Join(fgdPath, "raw", name+".yaml"))
	return err == nil && strings.TrimSpace(raw) == ""
}

// A file pushed into raw/ on the GitHub emulator reaches managed/ with one
// commit, with the periodic resync off: the push webhook queued the
// fabric. A forged delivery of the same push queues nothing; the service's
// own commit comes back as a push and is ignored.
func TestGitHubPushWebhookIngestsARawFile(t *testing.T) {
	s := startEnv(t, harness.Options{GitHub: githubsim.Options{PushWebhook: &githubsim.PushWebhook{Secret: harness.GitWebhookSecret}}})
	s.startService(t, noResyncArgs...)
	s.setup(t, s.svc.HTTPURL)
	hookURL := s.svc.HTTPURL + "/webhooks/git"
	gh := s.env.GitHub
	_, bare, _ := s.initFabric(t)

	// Pushed with the webhook pointing nowhere: the delivery is kept, to
	// be forged and then sent.
	gh.SetPushWebhookURL("")
	if !gh.WaitHooks(10 * time.Second) {
		t.Fatal("deliveries pending")
	}
	before := commitsOf(t, bare)
	if _, err := gh.SeedFiles(harness.Owner, "fabric-config", "main", map[string][]byte{path.Join(fgdPath, "raw", "hook-vpc.yaml"): hookVPC("hook-vpc")}, "Add hook-vpc"); err != nil {
		t.Fatal(err)
	}
	if !gh.WaitHooks(10 * time.Second) {
		t.Fatal("delivery pending")
	}
	ds := gh.HookDeliveries()
	body := ds[len(ds)-1].Body
	if err := testkit.Webhooks(t).Validate("push", body); err != nil {
		t.Fatal(err)
	}
	post := func(signature string) int {
		req, _ := http.NewRequest(http.MethodPost, hookURL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set(githook.GitHubSignatureHeader, signature)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(githook.SignGitHub([]byte("forged"), body)); code != http.StatusUnauthorized {
		t.Fatalf("forged delivery answered %d, want 401", code)
	}
	time.Sleep(time.Second)
	if got := commitsOf(t, bare); got != before+1 {
		t.Fatalf("a forged push led to a commit: %d commits, want %d", got, before+1)
	}
	if n := metric(t, s.svc, `hnp_gitops_reconciles_total{result="committed"}`) + metric(t, s.svc, `hnp_gitops_reconciles_total{result="unchanged"}`); n != 1 {
		t.Errorf("reconciles after the forged push: %v, want only the first one", n)
	}
	if n := metric(t, s.svc, `hnp_gitops_git_webhook_deliveries_total{host="github",result="bad_signature"}`); n != 1 {
		t.Errorf("bad_signature = %v, want 1", n)
	}

	// The genuine delivery, then every later one (the service's own
	// commit among them) straight from the emulator.
	gh.SetPushWebhookURL(hookURL)
	start := time.Now()
	if code := post(githook.SignGitHub([]byte(harness.GitWebhookSecret), body)); code != http.StatusAccepted {
		t.Fatalf("genuine delivery answered %d", code)
	}
	eventually(t, 20*time.Second, "hook-vpc in managed/", func() bool { return managedHas(bare, "hook-vpc") })
	t.Logf("push → commit: %s", time.Since(start))
	eventually(t, 10*time.Second, "the own commit's push", func() bool {
		return gh.WaitHooks(0) && metric(t, s.svc, `hnp_gitops_git_webhook_deliveries_total{host="github",result="self"}`) >= 1
	})
	time.Sleep(time.Second)
	if got := commitsOf(t, bare); got != before+2 {
		t.Errorf("%d commits, want %d: the seed and one commit of the service", got, before+2)
	}
	for _, d := range gh.HookDeliveries() {
		if d.Err == "" && d.Status != http.StatusAccepted {
			t.Errorf("delivery %s answered %d", d.ID, d.Status)
		}
	}
	s.noSecrets(t, bare)
}

// gitServer is the real git http-backend over HTTPS behind basic auth, a
// host that is not GitHub.
type gitServer struct {
	root, caFile, tokenMap string
	srv                    *httptest.Server
}

const (
	gitUser  = "hnp-gitops"
	gitToken = "gittoken-e2e-FAKE-0123456789"
)

func startGitServer(t *testing.T) *gitServer {
	t.Helper()
	g := &gitServer{root: t.TempDir()}
	g.srv = httptest.NewTLSServer(testkit.BasicAuth(gitUser, gitToken, testkit.GitHTTPHandler(t, g.root)))
	t.Cleanup(g.srv.Close)
	dir := t.TempDir()
	g.caFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(g.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: g.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	g.tokenMap = filepath.Join(dir, "tokens")
	host := strings.TrimPrefix(g.srv.URL, "https://")
	if err := os.WriteFile(g.tokenMap, []byte(host+"="+gitUser+":"+gitToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return g
}

// authURL is the clone URL with the credentials, for the test's own git.
func (g *gitServer) authURL(name string) string {
	return strings.Replace(g.srv.URL, "https://", "https://"+gitUser+":"+gitToken+"@", 1) + "/" + harness.Owner + "/" + name + ".git"
}

// pushFiles commits files in a clone and pushes them with the real git
// client, like a person; it returns the commit range and the paths.
func (g *gitServer) pushFiles(t *testing.T, name string, files map[string][]byte, msg string) (before, after string) {
	t.Helper()
	work := t.TempDir()
	env := []string{"-c", "http.sslCAInfo=" + g.caFile}
	testkit.Git(t, ".", append(env, "clone", "--quiet", g.authURL(name), work)...)
	before = strings.TrimSpace(testkit.Git(t, work, "rev-parse", "HEAD"))
	testkit.WriteFiles(t, work, files)
	testkit.Git(t, work, "add", "-A")
	testkit.Git(t, work, "-c", "user.name=Jane Operator", "-c", "user.email=jane@example.com", "commit", "--quiet", "-m", msg)
	testkit.Git(t, work, append(env, "push", "--quiet", "origin", "main")...)
	return before, strings.TrimSpace(testkit.Git(t, work, "rev-parse", "HEAD"))
}

func (g *gitServer) newRepo(t *testing.T, name string, files map[string][]byte) string {
	t.Helper()
	bare := filepath.Join(g.root, harness.Owner, name+".git")
	testkit.Git(t, ".", "init", "--quiet", "--bare", "--initial-branch=main", bare)
	work := t.TempDir()
	testkit.Git(t, work, "init", "--quiet", "--initial-branch=main")
	testkit.WriteFiles(t, work, files)
	testkit.Git(t, work, "add", "-A")
	testkit.Git(t, work, "-c", "user.name=Seeder", "-c", "user.email=seeder@example.com", "commit", "--quiet", "-m", "Seed "+name)
	testkit.Git(t, work, "push", "--quiet", bare, "main")
	return bare
}

// gitlabPush is a push event shaped like GitLab's documented example
// (https://docs.gitlab.com/user/project/integrations/webhook_events/#push-events).
func gitlabPush(webURL, before, after string, added []string) []byte {
	base := strings.TrimSuffix(webURL, ".git")
	b, _ := json.Marshal(map[string]any{
		"object_kind": "push", "event_name": "push", "before": before, "after": after, "ref": "refs/heads/main",
		"checkout_sha": after, "user_name": "Jane Operator", "user_username": "jane", "project_id": 15,
		"project": map[string]any{"id": 15, "name": "fabric-config", "web_url": base, "git_http_url": base + ".git",
			"git_ssh_url":         "git@" + strings.TrimPrefix(strings.Split(base, "/")[2], "") + ":" + harness.Owner + "/fabric-config.git",
			"path_with_namespace": harness.Owner + "/fabric-config", "default_branch": "main"},
		"commits": []any{map[string]any{"id": after, "message": "Add a VPC\n", "title": "Add a VPC",
			"author": map[string]any{"name": "Jane Operator", "email": "jane@example.com"},
			"added":  added, "modified": []string{}, "removed": []string{}}},
		"total_commits_count": 1,
		"repository":          map[string]any{"name": "fabric-config", "url": base + ".git", "homepage": base, "git_http_url": base + ".git"},
	})
	return b
}

// giteaPush is a push event shaped like Gitea's documented example
// (https://docs.gitea.com/usage/repository/webhooks).
func giteaPush(webURL, before, after string, added []string) []byte {
	base := strings.TrimSuffix(webURL, ".git")
	commit := map[string]any{"id": after, "message": "Add a VPC\n", "url": base + "/commit/" + after,
		"author":    map[string]any{"name": "Jane Operator", "email": "jane@example.com", "username": "jane"},
		"committer": map[string]any{"name": "Jane Operator", "email": "jane@example.com", "username": "jane"},
		"added":     added, "removed": []string{}, "modified": []string{}}
	b, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "before": before, "after": after, "compare_url": base + "/compare/" + before + "..." + after,
		"commits": []any{commit}, "total_commits": 1, "head_commit": commit,
		"repository": map[string]any{"id": 140, "name": "fabric-config", "full_name": harness.Owner + "/fabric-config",
			"html_url": base, "clone_url": base + ".git", "default_branch": "main"},
		"pusher": map[string]any{"login": "jane"}, "sender": map[string]any{"login": "jane"},
	})
	return b
}

// On a real git server (git http-backend), a file pushed with the real
// git client into raw/ reaches managed/ with one commit once a GitLab-style
// push event arrives, and again once a Gitea-style one does; the periodic
// resync is off.
func TestGenericGitPushWebhooks(t *testing.T) {
	g := startGitServer(t)
	s := startEnv(t, harness.Options{})
	s.startService(t, append(noResyncArgs, "--ca-file="+g.caFile, "--github-token-map-file="+g.tokenMap)...)
	s.setup(t, s.svc.HTTPURL)
	bare := g.newRepo(t, "fabric-config", rawSeed(t, fgdPath))
	cloneURL := g.srv.URL + "/" + harness.Owner + "/fabric-config.git"
	r, err := s.env.NetBox.CreateRepository(netboxsim.Repository{Name: "lab git", URL: cloneURL, Provider: "generic",
		AuthenticationType: "token", DefaultBranch: "main", ValidateSSL: true, HasCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	f := s.createFabric(t, "fabric-1", r.ID, fgdPath)
	s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)

	for _, tc := range []struct {
		host    string
		vpc     string
		request func(body []byte) *http.Request
		body    func(webURL, before, after string, added []string) []byte
	}{
		{"gitlab", "gitlab-vpc", func(body []byte) *http.Request {
			req := hookRequest(s, body)
			req.Header.Set("X-Gitlab-Event", "Push Hook")
			req.Header.Set(githook.GitLabTokenHeader, harness.GitWebhookSecret)
			return req
		}, gitlabPush},
		{"gitea", "gitea-vpc", func(body []byte) *http.Request {
			req := hookRequest(s, body)
			req.Header.Set("X-Gitea-Event", "push")
			req.Header.Set("X-GitHub-Event", "push") // Gitea sends both
			req.Header.Set(githook.GiteaSignatureHeader, githook.SignGitea([]byte(harness.GitWebhookSecret), body))
			return req
		}, giteaPush},
	} {
		t.Run(tc.host, func(t *testing.T) {
			raw := path.Join(fgdPath, "raw", tc.vpc+".yaml")
			before, after := g.pushFiles(t, "fabric-config", map[string][]byte{raw: hookVPC(tc.vpc)}, "Add "+tc.vpc)
			commits := commitsOf(t, bare)
			body := tc.body(cloneURL, before, after, []string{raw})
			// A forged one first: nothing happens.
			forged := tc.request(body)
			forged.Header.Set(githook.GitLabTokenHeader, "guess")
			forged.Header.Set(githook.GiteaSignatureHeader, githook.SignGitea([]byte("guess"), body))
			if code := do(t, forged); code != http.StatusUnauthorized {
				t.Fatalf("forged: %d", code)
			}
			time.Sleep(500 * time.Millisecond)
			if got := commitsOf(t, bare); got != commits {
				t.Fatalf("a forged event led to a commit")
			}
			if code := do(t, tc.request(body)); code != http.StatusAccepted {
				t.Fatalf("event answered %d", code)
			}
			eventually(t, 20*time.Second, tc.vpc+" in managed/", func() bool { return managedHas(bare, tc.vpc) })
			time.Sleep(500 * time.Millisecond)
			if got := commitsOf(t, bare); got != commits+1 {
				t.Errorf("%d commits, want %d", got, commits+1)
			}
			if n := metric(t, s.svc, fmt.Sprintf(`hnp_gitops_git_webhook_deliveries_total{host=%q,result="accepted"}`, tc.host)); n != 1 {
				t.Errorf("accepted %s deliveries = %v", tc.host, n)
			}
		})
	}
	if logs := s.svc.Logs(); strings.Contains(logs, gitToken) {
		t.Error("the git token leaked into the logs")
	}
}

func hookRequest(s *stack, body []byte) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, s.svc.HTTPURL+"/webhooks/git", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func do(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// commitsOf is the number of commits on main, read again when the read
// races with the emulator's ref update.
func commitsOf(t *testing.T, bare string) int {
	t.Helper()
	var last error
	for range 20 {
		out, err := harness.Git(context.Background(), bare, "rev-list", "--count", "main")
		if err == nil {
			n, err := strconv.Atoi(out)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		last = err
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal(last)
	return 0
}

// `hnp-gitops github setup` creates the repository's push webhook on the
// GitHub emulator from NetBox's fabrics; GitHub's ping and then a person's
// push reach the service through it, and the pushed file is ingested.
func TestGitHubSetupWebhookDeliversPushes(t *testing.T) {
	s := startEnv(t, harness.Options{})
	s.startService(t, noResyncArgs...)
	s.setup(t, s.svc.HTTPURL)
	_, bare, _ := s.initFabric(t)
	var out, errOut bytes.Buffer
	args := []string{"github", "setup", "--netbox-url=" + s.env.NetBox.URL(), "--netbox-token=" + harness.NetBoxToken,
		"--github-api-url=" + s.env.GitHub.URL() + "/", "--github-token=" + harness.GitHubToken,
		"--git-webhook-secret=" + harness.GitWebhookSecret, "--webhook-url=" + s.svc.HTTPURL + "/webhooks/git"}
	if code := cli.Run(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}); code != 0 {
		t.Fatalf("github setup exited %d: %s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "github.com/"+harness.Owner+"/fabric-config: webhook created") {
		t.Fatalf("github setup said:\n%s", out.String())
	}
	eventually(t, 10*time.Second, "GitHub's ping answered", func() bool {
		return metric(t, s.svc, `hnp_gitops_git_webhook_deliveries_total{host="github",result="ping"}`) == 1
	})
	before := commitsOf(t, bare)
	if _, err := s.env.GitHub.SeedFiles(harness.Owner, "fabric-config", "main", map[string][]byte{path.Join(fgdPath, "raw", "setup-vpc.yaml"): hookVPC("setup-vpc")}, "Add setup-vpc"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "setup-vpc in managed/", func() bool { return managedHas(bare, "setup-vpc") })
	time.Sleep(500 * time.Millisecond)
	if got := commitsOf(t, bare); got != before+2 {
		t.Errorf("%d commits, want %d", got, before+2)
	}
	s.noSecrets(t, bare)
}
