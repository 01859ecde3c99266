package githubapi

import (
	"net/http"
	"strings"
)

// routes are the REST operations the project calls (this package, the App
// credential source and doctor), as "METHOD path" with the path and
// parameter names of GitHub's REST description
// (testdata/github-openapi). {ref}, {path}, {basehead} and {tree_sha}
// match the rest of the path. test/cmd/ghtally fails `make test` when one
// of them is never called, or is not an operation of the description.
var routes = []string{
	"GET /repos/{owner}/{repo}",
	"GET /repos/{owner}/{repo}/git/ref/{ref}",
	"POST /repos/{owner}/{repo}/git/refs",
	"PATCH /repos/{owner}/{repo}/git/refs/{ref}",
	"GET /repos/{owner}/{repo}/git/commits/{commit_sha}",
	"POST /repos/{owner}/{repo}/git/commits",
	"GET /repos/{owner}/{repo}/git/trees/{tree_sha}",
	"POST /repos/{owner}/{repo}/git/trees",
	"GET /repos/{owner}/{repo}/git/blobs/{file_sha}",
	"POST /repos/{owner}/{repo}/git/blobs",
	"PUT /repos/{owner}/{repo}/contents/{path}",
	"GET /repos/{owner}/{repo}/compare/{basehead}",
	"GET /repos/{owner}/{repo}/pulls",
	"POST /repos/{owner}/{repo}/pulls",
	"GET /repos/{owner}/{repo}/installation",
	"GET /repos/{owner}/{repo}/hooks",
	"POST /repos/{owner}/{repo}/hooks",
	"PATCH /repos/{owner}/{repo}/hooks/{hook_id}",
	"POST /app/installations/{installation_id}/access_tokens",
}

// rest matches the rest of the path, one segment or more.
var rest = map[string]bool{"{ref}": true, "{path}": true, "{basehead}": true, "{tree_sha}": true}

// Routes are the route labels Route gives, "METHOD other" aside.
func Routes() []string { return append([]string(nil), routes...) }

// Route returns the route label of a GitHub API request, such as
// "GET /repos/{owner}/{repo}/git/trees/{tree_sha}", for metric labels: it
// never contains an owner, repository, ref or SHA. A request the project
// does not make gives "METHOD other". A GitHub Enterprise prefix (/api/v3)
// is ignored.
func Route(req *http.Request) string {
	p := req.URL.Path
	if i := strings.Index(p, "/repos/"); i > 0 {
		p = p[i:]
	}
	p = strings.TrimPrefix(p, "/api/v3")
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for _, r := range routes {
		method, tmpl, _ := strings.Cut(r, " ")
		if method == req.Method && matchRoute(strings.Split(strings.Trim(tmpl, "/"), "/"), segs) {
			return r
		}
	}
	return req.Method + " other"
}

func matchRoute(tmpl, segs []string) bool {
	for i, t := range tmpl {
		if i >= len(segs) || segs[i] == "" {
			return false
		}
		if rest[t] {
			return true
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
