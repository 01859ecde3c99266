package gitremote

import (
	"context"
	"net"
	"strings"

	"github.com/githedgehog/hnp-gitops/internal/gitrepo"
)

// Repository is the repository port as its callers use it; gitrepo.GitHub
// and Remote both implement it.
type Repository interface {
	Apply(ctx context.Context, t gitrepo.Target, dirs []string, plan gitrepo.PlanFunc) (gitrepo.Result, error)
}

// Router sends a target to the GitHub port when its host is github.com or
// one of GitHubHosts (GitHub Enterprise Server), and to the generic git port
// otherwise. A host always goes to the same port, so each port's own
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
func (r *Router) Apply(ctx context.Context, t gitrepo.Target, dirs []string, plan gitrepo.PlanFunc) (gitrepo.Result, error) {
	if r.IsGitHub(t.Repo.Host) {
		return r.github.Apply(ctx, t, dirs, plan)
	}
	return r.generic.Apply(ctx, t, dirs, plan)
}
