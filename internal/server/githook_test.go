package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/githedgehog/hnp-gitops/internal/reconcile"
	"github.com/githedgehog/hnp-gitops/internal/server"
	"github.com/githedgehog/hnp-gitops/pkg/githook"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

const gitSecret = "git-hook-s3cret-value"

// fakePushes records the pushes handed on.
type fakePushes struct {
	mu     sync.Mutex
	pushes []server.GitPush
}

func (f *fakePushes) EnqueuePush(p server.GitPush) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pushes = append(f.pushes, p)
}

func (f *fakePushes) got() []server.GitPush {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]server.GitPush(nil), f.pushes...)
}

func gitHarness(t *testing.T, mod func(*server.Options)) (*harness, *fakePushes) {
	t.Helper()
	pushes := &fakePushes{}
	hs := newHarness(t, func(o *server.Options) {
		o.GitWebhookSecret = []byte(gitSecret)
		o.Pushes = pushes
		o.OwnCommit = reconcile.IsOwnCommit
		o.GitMaxBodyBytes = 256 << 10
		if mod != nil {
			mod(o)
		}
	})
	return hs, pushes
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testkit.ModuleRoot(t), "pkg", "githook", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withCommits replaces a fixture's commits (and count) with messages, each
// adding one file under fab/raw/.
func withCommits(t *testing.T, body []byte, messages ...string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	var commits []any
	for i, msg := range messages {
		commits = append(commits, map[string]any{
			"id": strings.Repeat(string(rune('a'+i)), 40), "tree_id": strings.Repeat("f", 40), "distinct": true,
			"message": msg, "timestamp": "2026-03-06T15:11:23Z", "url": "https://github.com/o/r/commit/x",
			"author":    map[string]any{"name": "A", "email": "a@example.com"},
			"committer": map[string]any{"name": "A", "email": "a@example.com"},
			"added":     []any{"fab/raw/" + string(rune('a'+i)) + ".yaml"}, "modified": []any{}, "removed": []any{},
		})
	}
	m["commits"] = commits
	out, _ := json.Marshal(m)
	return out
}

func gitPost(body []byte, kv ...string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/git", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	return req
}

func githubPost(event string, body []byte, secret string) *http.Request {
	return gitPost(body, "X-GitHub-Event", event, "X-GitHub-Delivery", "d-1", githook.GitHubSignatureHeader, githook.SignGitHub([]byte(secret), body))
}

// pingBody is a ping as GitHub sends it when a webhook is created (checked
// against GitHub's webhook description below).
var pingBody = []byte(`{"zen":"Keep it logically awesome.","hook_id":1,"hook":{"type":"Repository","id":1,"name":"web","active":true,` +
	`"events":["push"],"config":{"content_type":"json","url":"https://hnp-gitops.example.com/webhooks/git","insecure_ssl":"0"},` +
	`"created_at":"2026-03-06T15:11:23Z","updated_at":"2026-03-06T15:11:23Z"}}`)

func TestGitWebhook(t *testing.T) {
	t.Parallel()
	gh := fixture(t, "github-push.json")
	own := "Reconcile\n\nNetBox-Object: netbox_hedgehog.hedgehogfabric:3\n"
	if err := testkit.Webhooks(t).Validate("ping", pingBody); err != nil {
		t.Fatal(err)
	}
	for _, body := range [][]byte{gh, withCommits(t, gh, own, "Add a file")} {
		if err := testkit.Webhooks(t).Validate("push", body); err != nil {
			t.Fatal(err)
		}
	}
	ghURLs := []string{"https://github.com/Octo-Org/fabric-gitops", "https://github.com/Octo-Org/fabric-gitops.git", "git@github.com:Octo-Org/fabric-gitops.git"}
	tag := bytes.Replace(gh, []byte(`"ref": "refs/heads/main"`), []byte(`"ref": "refs/tags/v1"`), 1)
	gl, gt := fixture(t, "gitlab-push.json"), fixture(t, "gitea-push.json")
	for _, tc := range []struct {
		name   string
		req    *http.Request
		code   int
		result string // host/result label counted
		want   []server.GitPush
	}{
		{"github push", githubPost("push", gh, gitSecret), 202, "github/accepted", []server.GitPush{{
			URLs: ghURLs, Branch: "main", Paths: []string{"README.md", "fab/raw/old.yaml", "fab/raw/vpc.yaml"}, Complete: true, Reason: "github push",
		}}},
		{"forged signature", githubPost("push", gh, "not-the-secret"), 401, "github/bad_signature", nil},
		{"missing signature", gitPost(gh, "X-GitHub-Event", "push"), 401, "github/bad_signature", nil},
		{"ping", githubPost("ping", pingBody, gitSecret), 200, "github/ping", nil},
		{"other event", githubPost("issues", []byte(`{}`), gitSecret), 202, "github/ignored", nil},
		{"tag", githubPost("push", tag, gitSecret), 202, "github/ignored", nil},
		{"only own commits", githubPost("push", withCommits(t, gh, own, own), gitSecret), 202, "github/self", nil},
		{"own and a person's", githubPost("push", withCommits(t, gh, own, "Add a file"), gitSecret), 202, "github/accepted", []server.GitPush{{
			URLs: ghURLs, Branch: "main", Paths: []string{"fab/raw/b.yaml"}, Complete: true, Reason: "github push",
		}}},
		{"bad JSON after a good signature", githubPost("push", []byte(`{"ref":`), gitSecret), 400, "github/bad_request", nil},
		{"gitlab push", gitPost(gl, "X-Gitlab-Event", "Push Hook", githook.GitLabTokenHeader, gitSecret), 202, "gitlab/accepted", []server.GitPush{{
			URLs:   []string{"git@gitlab.example.com:NetOps/fabric-gitops.git", "https://gitlab.example.com/NetOps/fabric-gitops", "https://gitlab.example.com/NetOps/fabric-gitops.git"},
			Branch: "main", Paths: []string{"README.md", "fabrics/lab/raw/old.yaml", "fabrics/lab/raw/vpc-lab.yaml"}, Complete: true, Reason: "gitlab push",
		}}},
		{"gitlab wrong token", gitPost(gl, "X-Gitlab-Event", "Push Hook", githook.GitLabTokenHeader, "guess"), 401, "gitlab/bad_signature", nil},
		{"gitlab tag push", gitPost(gl, "X-Gitlab-Event", "Tag Push Hook", githook.GitLabTokenHeader, gitSecret), 202, "gitlab/ignored", nil},
		{"gitea push (with GitHub's headers too)", gitPost(gt, "X-Gitea-Event", "push", "X-GitHub-Event", "push",
			githook.GiteaSignatureHeader, githook.SignGitea([]byte(gitSecret), gt)), 202, "gitea/accepted", []server.GitPush{{
			URLs:   []string{"https://gitea.example.com/netops/fabric-gitops", "https://gitea.example.com/netops/fabric-gitops.git", "ssh://git@gitea.example.com:2222/netops/fabric-gitops.git"},
			Branch: "main", Paths: []string{"lab/switch-profile.yaml"}, Complete: true, Reason: "gitea push",
		}}},
		{"forgejo forged", gitPost(gt, "X-Forgejo-Event", "push", githook.ForgejoSignatureHeader, githook.SignGitea([]byte("x"), gt)), 401, "gitea/bad_signature", nil},
		{"no host header", gitPost(gh), 400, "unknown/bad_request", nil},
		{"too large", githubPost("push", bytes.Repeat([]byte(" "), 300<<10), gitSecret), 413, "github/too_large", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hs, pushes := gitHarness(t, nil)
			rec := hs.do(tc.req)
			if rec.Code != tc.code {
				t.Fatalf("code %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if diff := cmp.Diff(tc.want, pushes.got()); diff != "" {
				t.Errorf("pushes (-want +got):\n%s", diff)
			}
			if got := hs.queue.Calls(); len(got) != 0 {
				t.Errorf("fabrics queued directly: %v", got)
			}
			host, result, _ := strings.Cut(tc.result, "/")
			if n := gitCount(t, hs, host, result); n != 1 {
				t.Errorf("%s counted %v times", tc.result, n)
			}
			logs := hs.logs.String()
			for _, secret := range []string{gitSecret, githook.SignGitHub([]byte(gitSecret), gh)[7:], "Add a VPC"} {
				if strings.Contains(logs, secret) {
					t.Errorf("the log shows %q:\n%s", secret, logs)
				}
			}
		})
	}
}

func gitCount(t *testing.T, hs *harness, host, result string) float64 {
	t.Helper()
	n, err := testutil.GatherAndCount(hs.metrics.Registry(), "hnp_gitops_git_webhook_deliveries_total")
	if err != nil || n == 0 {
		t.Fatalf("no git webhook series: %v", err)
	}
	mfs, _ := hs.metrics.Registry().Gather()
	for _, mf := range mfs {
		if mf.GetName() != "hnp_gitops_git_webhook_deliveries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["host"] == host && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// Without a git webhook secret (or a push queue) the route does not exist.
func TestGitWebhookRouteNeedsASecret(t *testing.T) {
	t.Parallel()
	hs, _ := gitHarness(t, func(o *server.Options) { o.GitWebhookSecret = nil })
	body := fixture(t, "github-push.json")
	if rec := hs.do(githubPost("push", body, "")); rec.Code != http.StatusNotFound {
		t.Errorf("code %d, want 404", rec.Code)
	}
}

// The default cap fits GitHub's largest payloads (25 MB).
func TestGitWebhookDefaultCap(t *testing.T) {
	t.Parallel()
	if server.DefaultGitMaxBodyBytes < 25_000_000 {
		t.Errorf("DefaultGitMaxBodyBytes = %d, below GitHub's 25 MB", server.DefaultGitMaxBodyBytes)
	}
	hs, pushes := gitHarness(t, func(o *server.Options) { o.GitMaxBodyBytes = 0 })
	// A 20 MB push: many commits' file lists.
	var m map[string]any
	_ = json.Unmarshal(fixture(t, "github-push.json"), &m)
	files := make([]any, 0, 200_000)
	for i := range 200_000 {
		files = append(files, "fab/raw/"+strings.Repeat("x", 80)+string(rune('a'+i%26))+".yaml")
	}
	m["commits"].([]any)[0].(map[string]any)["added"] = files
	body, _ := json.Marshal(m)
	if len(body) < 15<<20 {
		t.Fatalf("body only %d bytes", len(body))
	}
	if rec := hs.do(githubPost("push", body, gitSecret)); rec.Code != http.StatusAccepted {
		t.Fatalf("code %d: %s", rec.Code, rec.Body)
	}
	if got := pushes.got(); len(got) != 1 || got[0].Complete {
		t.Errorf("pushes %d, complete %v (3000+ files in a commit is GitHub's cap)", len(got), len(got) > 0 && got[0].Complete)
	}
}
