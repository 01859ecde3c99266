package githubsim

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// The shapes GitHub's REST description requires (testdata/github-openapi),
// written once: ids and node ids derived from names, URLs from the
// emulator's base URL. test/ghcontract holds the emulator to them.

// created is the creation time the emulator reports for users and
// repositories: fixed, so answers are reproducible.
var created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// idOf is a stable positive id for a name.
func idOf(kind, name string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s", kind, name)
	return int64(h.Sum64()>>33) + 1
}

// nodeID is a GitHub-like global node id.
func nodeID(kind string, id any) string {
	return base64.RawStdEncoding.EncodeToString([]byte(fmt.Sprintf("0:%s%v", kind, id)))
}

func (s *Server) apiBase(r *http.Request) string { return "http://" + r.Host }

// userJSON is a simple-user.
func (s *Server) userJSON(r *http.Request, login string) map[string]any {
	api := s.apiBase(r) + "/users/" + login
	id := idOf("user", login)
	return map[string]any{
		"login": login, "id": id, "node_id": nodeID("User", id), "type": "Organization", "site_admin": false,
		"avatar_url": s.opts.WebURL + "/avatars/" + login, "gravatar_id": "", "url": api, "html_url": s.opts.WebURL + "/" + login,
		"followers_url": api + "/followers", "following_url": api + "/following{/other_user}", "gists_url": api + "/gists{/gist_id}",
		"starred_url": api + "/starred{/owner}{/repo}", "subscriptions_url": api + "/subscriptions",
		"organizations_url": api + "/orgs", "repos_url": api + "/repos", "events_url": api + "/events{/privacy}",
		"received_events_url": api + "/received_events",
	}
}

// repositoryJSON is a full-repository (and so a repository).
func (s *Server) repositoryJSON(r *http.Request, rp *repo, defaultBranch string) map[string]any {
	api := s.apiURL(r, rp, "")
	full := rp.owner + "/" + rp.name
	id := idOf("repo", full)
	when := created.Format(time.RFC3339)
	out := map[string]any{
		"id": id, "node_id": nodeID("Repository", id), "name": rp.name, "full_name": full, "private": rp.private,
		"owner": s.userJSON(r, rp.owner), "html_url": s.htmlURL(rp, ""), "description": nil, "fork": false, "url": api,
		"homepage": nil, "language": nil, "mirror_url": nil, "license": nil, "default_branch": defaultBranch,
		"clone_url": s.htmlURL(rp, ".git"), "git_url": "git://" + r.Host + "/" + full + ".git", "ssh_url": "git@" + r.Host + ":" + full + ".git",
		"svn_url": s.htmlURL(rp, ""), "forks": 0, "forks_count": 0, "open_issues": 0, "open_issues_count": 0,
		"stargazers_count": 0, "watchers": 0, "watchers_count": 0, "size": 0, "network_count": 0, "subscribers_count": 0,
		"has_issues": true, "has_projects": false, "has_wiki": false, "has_pages": false, "has_discussions": false, "has_downloads": false,
		"archived": false, "disabled": false, "pushed_at": when, "created_at": when, "updated_at": when,
	}
	for _, u := range []struct{ key, path string }{
		{"archive_url", "/{archive_format}{/ref}"}, {"assignees_url", "/assignees{/user}"}, {"blobs_url", "/git/blobs{/sha}"},
		{"branches_url", "/branches{/branch}"}, {"collaborators_url", "/collaborators{/collaborator}"}, {"comments_url", "/comments{/number}"},
		{"commits_url", "/commits{/sha}"}, {"compare_url", "/compare/{base}...{head}"}, {"contents_url", "/contents/{+path}"},
		{"contributors_url", "/contributors"}, {"deployments_url", "/deployments"}, {"downloads_url", "/downloads"},
		{"events_url", "/events"}, {"forks_url", "/forks"}, {"git_commits_url", "/git/commits{/sha}"}, {"git_refs_url", "/git/refs{/sha}"},
		{"git_tags_url", "/git/tags{/sha}"}, {"hooks_url", "/hooks"}, {"issue_comment_url", "/issues/comments{/number}"},
		{"issue_events_url", "/issues/events{/number}"}, {"issues_url", "/issues{/number}"}, {"keys_url", "/keys{/key_id}"},
		{"labels_url", "/labels{/name}"}, {"languages_url", "/languages"}, {"merges_url", "/merges"},
		{"milestones_url", "/milestones{/number}"}, {"notifications_url", "/notifications{?since,all,participating}"},
		{"pulls_url", "/pulls{/number}"}, {"releases_url", "/releases{/id}"}, {"stargazers_url", "/stargazers"},
		{"statuses_url", "/statuses/{sha}"}, {"subscribers_url", "/subscribers"}, {"subscription_url", "/subscription"},
		{"tags_url", "/tags"}, {"teams_url", "/teams"}, {"trees_url", "/git/trees{/sha}"},
	} {
		out[u.key] = api + u.path
	}
	return out
}

// refNodeID is a ref's node id.
func refNodeID(rp *repo, name plumbing.ReferenceName) string {
	return nodeID("Ref", rp.owner+"/"+rp.name+":"+name.String())
}

// pullLinks are a pull request's _links.
func (s *Server) pullLinks(r *http.Request, rp *repo, number int, head string) map[string]any {
	n := strconv.Itoa(number)
	link := func(href string) map[string]any { return map[string]any{"href": href} }
	return map[string]any{
		"self": link(s.apiURL(r, rp, "/pulls/"+n)), "html": link(s.htmlURL(rp, "/pull/"+n)),
		"issue": link(s.apiURL(r, rp, "/issues/"+n)), "comments": link(s.apiURL(r, rp, "/issues/"+n+"/comments")),
		"review_comments": link(s.apiURL(r, rp, "/pulls/"+n+"/comments")), "review_comment": link(s.apiURL(r, rp, "/pulls/comments{/number}")),
		"commits": link(s.apiURL(r, rp, "/pulls/"+n+"/commits")), "statuses": link(s.apiURL(r, rp, "/statuses/"+head)),
	}
}
