package githook

import (
	"net/http"
	"strings"
)

// Host is the kind of git host that sent a delivery.
type Host string

// The hosts whose deliveries the package reads.
const (
	GitHub Host = "github"
	GitLab Host = "gitlab"
	Gitea  Host = "gitea" // Gitea and Forgejo
)

// Hosts lists every Host, for label values.
var Hosts = []Host{GitHub, GitLab, Gitea}

// Event kinds of a Delivery, over the hosts' names for them.
const (
	EventPush = "push"
	EventPing = "ping"
)

// Delivery is what a request's headers say about it.
type Delivery struct {
	Host Host
	// Event is EventPush, EventPing, or the host's own name of another
	// event (GitLab's "Tag Push Hook", GitHub's "pull_request"...).
	Event string
	// ID is the host's delivery id, "" when it sends none.
	ID string
}

// Identify tells which host sent a request, from its event header. Gitea and
// Forgejo also send GitHub's and Gogs' headers, so theirs are looked at
// first. It reports false for a request no host of Hosts sent.
func Identify(h http.Header) (Delivery, bool) {
	if ev := firstHeader(h, "X-Forgejo-Event", "X-Gitea-Event"); ev != "" {
		return Delivery{Host: Gitea, Event: ev, ID: firstHeader(h, "X-Forgejo-Delivery", "X-Gitea-Delivery")}, true
	}
	if ev := h.Get("X-Gitlab-Event"); ev != "" {
		d := Delivery{Host: GitLab, Event: ev, ID: firstHeader(h, "X-Gitlab-Event-UUID", "X-Gitlab-Webhook-UUID")}
		if ev == "Push Hook" {
			d.Event = EventPush
		}
		return d, true
	}
	if ev := h.Get("X-GitHub-Event"); ev != "" {
		return Delivery{Host: GitHub, Event: ev, ID: h.Get("X-GitHub-Delivery")}, true
	}
	return Delivery{}, false
}

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			return v
		}
	}
	return ""
}
