package githook_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/pkg/githook"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit decodes a fixture, lets f change it, and encodes it again.
func edit(t *testing.T, name string, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFile(t, name), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGitHubFixtureMatchesGitHubsSchema(t *testing.T) {
	t.Parallel()
	if err := testkit.Webhooks(t).Validate("push", readFile(t, "github-push.json")); err != nil {
		t.Fatal(err)
	}
}

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestIdentify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		h    http.Header
		want githook.Delivery
		ok   bool
	}{
		{"github push", headers("X-GitHub-Event", "push", "X-GitHub-Delivery", "d1"), githook.Delivery{Host: githook.GitHub, Event: "push", ID: "d1"}, true},
		{"github ping", headers("X-GitHub-Event", "ping"), githook.Delivery{Host: githook.GitHub, Event: "ping"}, true},
		{"gitlab push", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Event-UUID", "u1"), githook.Delivery{Host: githook.GitLab, Event: "push", ID: "u1"}, true},
		{"gitlab tag push", headers("X-Gitlab-Event", "Tag Push Hook"), githook.Delivery{Host: githook.GitLab, Event: "Tag Push Hook"}, true},
		// Gitea also sends GitHub's and Gogs' headers (docs.gitea.com/usage/repository/webhooks).
		{"gitea with github headers", headers("X-GitHub-Event", "push", "X-Gogs-Event", "push", "X-Gitea-Event", "push", "X-Gitea-Delivery", "g1"), githook.Delivery{Host: githook.Gitea, Event: "push", ID: "g1"}, true},
		{"forgejo", headers("X-Forgejo-Event", "push", "X-Gitea-Event", "push", "X-Forgejo-Delivery", "f1"), githook.Delivery{Host: githook.Gitea, Event: "push", ID: "f1"}, true},
		{"netbox", headers("X-Hook-Signature", "ab"), githook.Delivery{}, false},
	} {
		got, ok := githook.Identify(tc.h)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: got %+v %v, want %+v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret, body := []byte("s3crét"), []byte(`{"ref":"refs/heads/main"}`)
	gh, gt := githook.SignGitHub(secret, body), githook.SignGitea(secret, body)
	for _, tc := range []struct {
		name string
		host githook.Host
		h    http.Header
		want error
	}{
		{"github good", githook.GitHub, headers(githook.GitHubSignatureHeader, gh), nil},
		{"github upper-case hex", githook.GitHub, headers(githook.GitHubSignatureHeader, "sha256="+strings.ToUpper(gh[7:])), nil},
		{"github missing", githook.GitHub, headers(), githook.ErrMissingSignature},
		{"github sha1 only", githook.GitHub, headers("X-Hub-Signature", "sha1=00"), githook.ErrMissingSignature},
		{"github without prefix", githook.GitHub, headers(githook.GitHubSignatureHeader, gh[7:]), githook.ErrBadSignature},
		{"github other secret", githook.GitHub, headers(githook.GitHubSignatureHeader, githook.SignGitHub([]byte("x"), body)), githook.ErrBadSignature},
		{"github short", githook.GitHub, headers(githook.GitHubSignatureHeader, "sha256=abcd"), githook.ErrBadSignature},
		{"github not hex", githook.GitHub, headers(githook.GitHubSignatureHeader, "sha256="+strings.Repeat("z", 64)), githook.ErrBadSignature},
		{"gitea good", githook.Gitea, headers(githook.GiteaSignatureHeader, gt), nil},
		{"forgejo good", githook.Gitea, headers(githook.ForgejoSignatureHeader, gt), nil},
		{"gitea with the github form", githook.Gitea, headers(githook.GiteaSignatureHeader, gh), githook.ErrBadSignature},
		{"gitea missing", githook.Gitea, headers(), githook.ErrMissingSignature},
		{"gitlab good", githook.GitLab, headers(githook.GitLabTokenHeader, string(secret)), nil},
		{"gitlab wrong", githook.GitLab, headers(githook.GitLabTokenHeader, "s3cret"), githook.ErrBadSignature},
		{"gitlab prefix of the secret", githook.GitLab, headers(githook.GitLabTokenHeader, "s3cr"), githook.ErrBadSignature},
		{"gitlab missing", githook.GitLab, headers(), githook.ErrMissingSignature},
		{"unknown host", githook.Host("bitbucket"), headers(githook.GitHubSignatureHeader, gh), githook.ErrBadSignature},
	} {
		err := githook.Verify(tc.host, secret, body, tc.h)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), string(secret)) || strings.Contains(err.Error(), gh[7:])) {
			t.Errorf("%s: error shows the secret or signature: %v", tc.name, err)
		}
	}
	if err := githook.Verify(githook.GitHub, nil, body, headers(githook.GitHubSignatureHeader, gh)); !errors.Is(err, githook.ErrNoSecret) {
		t.Errorf("no secret: %v", err)
	}
	// A changed body fails.
	if err := githook.Verify(githook.GitHub, secret, append(body, ' '), headers(githook.GitHubSignatureHeader, gh)); !errors.Is(err, githook.ErrBadSignature) {
		t.Errorf("changed body: %v", err)
	}
}

// Each host's documented push parses into the same Push form.
func TestParseFixtures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		host githook.Host
		want githook.Push
	}{
		{"github-push.json", githook.GitHub, githook.Push{
			Host: githook.GitHub, Ref: "refs/heads/main", Branch: "main",
			Before: "b20cf1d38de1aaeb79c31e1ef35229e2b5125ee3", After: "593269f013ef28c26bad0658642dcbec6c7ad360",
			RepositoryURLs: []string{"https://github.com/Octo-Org/fabric-gitops", "https://github.com/Octo-Org/fabric-gitops.git", "git@github.com:Octo-Org/fabric-gitops.git"},
			Commits: []githook.Commit{{
				ID: "593269f013ef28c26bad0658642dcbec6c7ad360", Message: "Add a VPC\n", AuthorName: "Seeder", AuthorEmail: "seeder@example.com",
				Added: []string{"README.md", "fab/raw/vpc.yaml"}, Modified: []string{}, Removed: []string{"fab/raw/old.yaml"},
			}},
			Complete: true,
		}},
		// https://docs.gitlab.com/user/project/integrations/webhook_events/#push-events
		{"gitlab-push.json", githook.GitLab, githook.Push{
			Host: githook.GitLab, Ref: "refs/heads/main", Branch: "main",
			Before: "95790bf891e76fee5e1747ab589903a6a1f80f22", After: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			RepositoryURLs: []string{
				"git@gitlab.example.com:NetOps/fabric-gitops.git", "https://gitlab.example.com/NetOps/fabric-gitops",
				"https://gitlab.example.com/NetOps/fabric-gitops.git",
			},
			Commits: []githook.Commit{
				{ID: "b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327", Message: "Add the VPC of the lab\n", AuthorName: "Jane Operator", AuthorEmail: "jane@example.com",
					Added: []string{"fabrics/lab/raw/vpc-lab.yaml"}, Modified: []string{}, Removed: []string{}},
				{ID: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", Message: "Fix the README\n", AuthorName: "Jane Operator", AuthorEmail: "jane@example.com",
					Added: []string{}, Modified: []string{"README.md"}, Removed: []string{"fabrics/lab/raw/old.yaml"}},
			},
			Complete: true,
		}},
		// https://docs.gitea.com/usage/repository/webhooks
		{"gitea-push.json", githook.Gitea, githook.Push{
			Host: githook.Gitea, Ref: "refs/heads/main", Branch: "main",
			Before: "28e1879d029cb852e4844d9c718537df08844e03", After: "bffeb74224043ba2feb48d137756c8a9331c449a",
			RepositoryURLs: []string{"https://gitea.example.com/netops/fabric-gitops", "https://gitea.example.com/netops/fabric-gitops.git", "ssh://git@gitea.example.com:2222/netops/fabric-gitops.git"},
			Commits: []githook.Commit{{
				ID: "bffeb74224043ba2feb48d137756c8a9331c449a", Message: "Add a switch profile\n", AuthorName: "Jane Operator", AuthorEmail: "jane@example.com",
				Added: []string{"lab/switch-profile.yaml"}, Modified: []string{}, Removed: []string{},
			}},
			Complete: true,
		}},
	} {
		got, err := githook.Parse(tc.host, readFile(t, tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if diff := cmp.Diff(&tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.file, diff)
		}
	}
}

func TestPathsAndOnly(t *testing.T) {
	t.Parallel()
	p, err := githook.Parse(githook.GitLab, readFile(t, "gitlab-push.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"README.md", "fabrics/lab/raw/old.yaml", "fabrics/lab/raw/vpc-lab.yaml"}, p.Paths(nil)); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	skipFirst := func(c githook.Commit) bool { return strings.HasPrefix(c.Message, "Add") }
	if diff := cmp.Diff([]string{"README.md", "fabrics/lab/raw/old.yaml"}, p.Paths(skipFirst)); diff != "" {
		t.Errorf("paths without the first commit (-want +got):\n%s", diff)
	}
	if p.Only(skipFirst) {
		t.Error("Only: true although one commit is not")
	}
	if !p.Only(func(githook.Commit) bool { return true }) {
		t.Error("Only: false although every commit is")
	}
	p.Complete = false
	if p.Only(func(githook.Commit) bool { return true }) {
		t.Error("Only: true for an incomplete push")
	}
}

// A push is incomplete whenever its lists may not be the whole change.
func TestCompleteness(t *testing.T) {
	t.Parallel()
	many := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = map[string]any{"id": "c", "message": "m", "added": []any{"raw/a.yaml"}}
		}
		return out
	}
	files := make([]any, githook.MaxFilesPerCommit)
	for i := range files {
		files[i] = "raw/f.yaml"
	}
	for _, tc := range []struct {
		name string
		host githook.Host
		file string
		f    func(m map[string]any)
		want bool
	}{
		{"github as is", githook.GitHub, "github-push.json", func(map[string]any) {}, true},
		{"github 20 commits (GitHub Enterprise Server's cap)", githook.GitHub, "github-push.json", func(m map[string]any) { m["commits"] = many(20) }, false},
		{"github 19 commits", githook.GitHub, "github-push.json", func(m map[string]any) { m["commits"] = many(19) }, true},
		{"github files cap of one commit", githook.GitHub, "github-push.json", func(m map[string]any) {
			m["commits"] = []any{map[string]any{"id": "c", "message": "m", "modified": files}}
		}, false},
		{"github forced", githook.GitHub, "github-push.json", func(m map[string]any) { m["forced"] = true }, false},
		{"github created branch", githook.GitHub, "github-push.json", func(m map[string]any) { m["created"] = true }, false},
		{"github no commits", githook.GitHub, "github-push.json", func(m map[string]any) { m["commits"] = []any{} }, false},
		{"github no file lists", githook.GitHub, "github-push.json", func(m map[string]any) {
			m["commits"] = []any{map[string]any{"id": "c", "message": "m"}}
		}, false},
		{"gitlab total above listed", githook.GitLab, "gitlab-push.json", func(m map[string]any) { m["total_commits_count"] = 21 }, false},
		{"gitlab new branch", githook.GitLab, "gitlab-push.json", func(m map[string]any) { m["before"] = strings.Repeat("0", 40) }, false},
		{"gitlab 20 commits is not GitHub's cap", githook.GitLab, "gitlab-push.json", func(m map[string]any) {
			m["commits"], m["total_commits_count"] = many(20), 20
		}, true},
		{"gitea total above listed (FeedMaxCommitNum)", githook.Gitea, "gitea-push.json", func(m map[string]any) { m["total_commits"] = 6 }, false},
		{"gitea without total_commits (before 1.18)", githook.Gitea, "gitea-push.json", func(m map[string]any) { delete(m, "total_commits") }, true},
		{"gitea without total_commits, 5 listed (FEED_MAX_COMMIT_NUM)", githook.Gitea, "gitea-push.json", func(m map[string]any) {
			delete(m, "total_commits")
			m["commits"] = many(5)
		}, false},
		{"gitea 5 listed of 5", githook.Gitea, "gitea-push.json", func(m map[string]any) { m["commits"], m["total_commits"] = many(5), 5 }, true},
	} {
		p, err := githook.Parse(tc.host, edit(t, tc.file, tc.f))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Complete != tc.want {
			t.Errorf("%s: Complete = %v, want %v", tc.name, p.Complete, tc.want)
		}
	}
}

func TestTagsAndDeletes(t *testing.T) {
	t.Parallel()
	tag, err := githook.Parse(githook.GitHub, edit(t, "github-push.json", func(m map[string]any) { m["ref"] = "refs/tags/v1" }))
	if err != nil || tag.Branch != "" {
		t.Errorf("tag: branch %q, err %v", tag.Branch, err)
	}
	del, err := githook.Parse(githook.GitLab, edit(t, "gitlab-push.json", func(m map[string]any) {
		m["after"], m["commits"], m["total_commits_count"] = strings.Repeat("0", 40), []any{}, 0
	}))
	if err != nil || !del.Deleted || del.Complete {
		t.Errorf("delete: deleted %v complete %v err %v", del.Deleted, del.Complete, err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body string }{
		{"empty", ""},
		{"not an object", `[]`},
		{"no ref", `{"repository":{"html_url":"https://x/o/r"}}`},
		{"ref not a string", `{"ref":1}`},
		{"no repository", `{"ref":"refs/heads/main"}`},
		{"added not a list", `{"ref":"refs/heads/main","repository":{"html_url":"https://x/o/r"},"commits":[{"added":"a"}]}`},
		{"two values", `{"ref":"refs/heads/main","repository":{"html_url":"https://x/o/r"}} {}`},
		{"secret-looking text stays out", `{"ref":"refs/heads/main","repository":{"html_url":"https://x/o/r"},"commits":[{"id":"s3cr3t-value"`},
	} {
		_, err := githook.Parse(githook.GitHub, []byte(tc.body))
		if !errors.Is(err, githook.ErrInvalidPayload) {
			t.Errorf("%s: got %v", tc.name, err)
			continue
		}
		if strings.ContainsAny(err.Error(), "\n\r") || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: error is not one clean line: %q", tc.name, err)
		}
	}
}
