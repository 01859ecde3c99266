package githubapi

import (
	"net/http"
	"strings"
)

// routes are the REST routes the port uses, as templates; {ref} and {path}
// match the rest of the path.
var routes = []string{
	"/repos/{owner}/{repo}",
	"/repos/{owner}/{repo}/git/ref/{ref}",
	"/repos/{owner}/{repo}/git/refs",
	"/repos/{owner}/{repo}/git/refs/{ref}",
	"/repos/{owner}/{repo}/git/commits",
	"/repos/{owner}/{repo}/git/commits/{sha}",
	"/repos/{owner}/{repo}/git/trees",
	"/repos/{owner}/{repo}/git/trees/{sha}",
	"/repos/{owner}/{repo}/git/blobs",
	"/repos/{owner}/{repo}/git/blobs/{sha}",
	"/repos/{owner}/{repo}/contents/{path}",
	"/repos/{owner}/{repo}/compare/{basehead}",
	"/repos/{owner}/{repo}/pulls",
	"/repos/{owner}/{repo}/pulls/{number}",
	"/repos/{owner}/{repo}/installation",
	"/repos/{owner}/{repo}/hooks",
	"/repos/{owner}/{repo}/hooks/{hook_id}",
	"/app/installations/{id}/access_tokens",
	"/rate_limit",
}

// Route returns the route template of a GitHub API request, such as
// "GET /repos/{owner}/{repo}/git/trees/{sha}", for metric labels: it never
// contains an owner, repository, ref or SHA. Unknown paths give
// "METHOD other". A GitHub Enterprise prefix (/api/v3) is ignored.
func Route(req *http.Request) string {
	return req.Method + " " + routeOf(req.URL.Path)
}

func routeOf(p string) string {
	if i := strings.Index(p, "/repos/"); i > 0 {
		p = p[i:]
	}
	p = strings.TrimPrefix(p, "/api/v3")
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for _, r := range routes {
		if matchRoute(strings.Split(strings.Trim(r, "/"), "/"), segs) {
			return r
		}
	}
	return "other"
}

func matchRoute(tmpl, segs []string) bool {
	for i, t := range tmpl {
		if i >= len(segs) || segs[i] == "" {
			return false
		}
		switch t {
		case "{ref}", "{path}":
			return true // the rest of the path, one segment or more
		}
		if strings.HasPrefix(t, "{") {
			continue
		}
		if t != segs[i] {
			return false
		}
	}
	return len(tmpl) == len(segs)
}
