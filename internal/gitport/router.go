package gitport

import (
	"context"
	"net"
	"strings"
)

// Repository is the repository port: it lands one commit of a plan on a
// repository and branch. githubapi.GitHub and gitremote.Remote implement it.
type Repository interface {
	Apply(ctx context.Context, t Target, dirs []string, plan PlanFunc) (Result, error)
}

// Router is wiring, not an adapter: it sends a target to the GitHub
// adapter when its host is github.com or one of GitHubHosts (GitHub
// Enterprise Server), and to the generic git adapter otherwise. A host always goes to the same port, so each port's own
// serialisation keeps one writer per branch.
type Router struct {
	github, generic Repository
	hosts           map[string]bool
}

// NewRouter returns a Router. githubHosts are compared case-insensitively;
// a listed host without a port matches that host on any port.
func NewRouter(github, generic Repository, githubHosts []string) *Router {
	hosts := map[string]bool{"github.com": true}
	for _, h := range githubHosts {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			hosts[h] = true
		}
	}
	return &Router{github: github, generic: generic, hosts: hosts}
}

// IsGitHub reports whether host goes to the GitHub port.
func (r *Router) IsGitHub(host string) bool {
	host = strings.ToLower(host)
	if r.hosts[host] {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		return r.hosts[h]
	}
	return false
}

// Apply applies through the port that serves t.Repo.Host.
func (r *Router) Apply(ctx context.Context, t Target, dirs []string, plan PlanFunc) (Result, error) {
	if r.IsGitHub(t.Repo.Host) {
		return r.github.Apply(ctx, t, dirs, plan)
	}
	return r.generic.Apply(ctx, t, dirs, plan)
}

// Access is what a repository grants the service's credentials, as far as
// its host says without a write.
type Access struct {
	Push bool
	// Known is false when the host does not tell (then Push means nothing).
	Known bool
	// Detail says how it was told, or why not.
	Detail string
}

// AccessChecker reads what a repository grants, without writing.
type AccessChecker interface {
	CheckAccess(ctx context.Context, repo Repo) (Access, error)
}

// CheckAccess asks the adapter that serves repo.Host; an adapter that
// cannot tell answers Known false.
func (r *Router) CheckAccess(ctx context.Context, repo Repo) (Access, error) {
	port := r.generic
	if r.IsGitHub(repo.Host) {
		port = r.github
	}
	if c, ok := port.(AccessChecker); ok {
		return c.CheckAccess(ctx, repo)
	}
	return Access{Detail: "the repository's adapter cannot tell"}, nil
}
