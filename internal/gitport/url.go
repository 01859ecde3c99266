package gitport

import (
	"net"
	"net/url"
	"strings"

	"github.com/githedgehog/hnp-gitops/internal/redact"
)

// ParseURL parses a repository URL as NetBox's GitRepository stores it:
// https://host/owner/name(.git), http://..., git@host:owner/name(.git) or
// ssh://git@host[:port]/owner/name(.git). The Repo's URL keeps the scheme,
// the port and, for SSH, the user, so that the generic git adapter reaches
// the repository the way the URL says. Credentials in the URL are dropped
// and never appear in an error.
func ParseURL(raw string) (Repo, error) {
	s := strings.TrimSpace(raw)
	invalid := func(why string) (Repo, error) {
		return Repo{}, &Error{Class: ClassInvalid, Op: "parse repository URL " + redact.URL(s), Message: why}
	}
	if s == "" {
		return invalid("empty")
	}
	var host, path, clean string
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return invalid("not a URL")
		}
		switch u.Scheme {
		case SchemeHTTPS, SchemeHTTP:
			host = strings.ToLower(u.Host)
		case SchemeSSH:
			// The repository's name does not change with the SSH daemon's
			// port: the port stays in the URL only.
			host = strings.ToLower(u.Hostname())
		default:
			return invalid("unsupported scheme (want https, http, ssh or git@host:owner/name)")
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return invalid("unexpected query or fragment")
		}
		path = u.Path
		c := url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host), Path: "/" + strings.Trim(u.Path, "/")}
		if u.Scheme == SchemeSSH && u.User != nil {
			c.User = url.User(u.User.Username())
		}
		clean = c.String()
	} else {
		// scp-like syntax: [user@]host:owner/name.git
		at := strings.LastIndex(s, "@")
		rest := s[at+1:]
		colon := strings.Index(rest, ":")
		if at < 0 || colon <= 0 {
			return invalid("unsupported form (want https://host/owner/name or git@host:owner/name)")
		}
		host = strings.ToLower(rest[:colon])
		path = rest[colon+1:]
		clean = host + ":" + strings.TrimRight(path, "/")
		if user, _, _ := strings.Cut(s[:at], ":"); user != "" {
			clean = user + "@" + clean
		}
	}
	if host == "" || strings.ContainsAny(host, "/\\ @") {
		return invalid("missing or bad host")
	}
	if h, _, err := net.SplitHostPort(host); err == nil && h == "" {
		return invalid("missing host")
	}
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	parts := strings.Split(path, "/")
	if len(parts) != 2 || !validSegment(parts[0]) || !validSegment(parts[1]) {
		return invalid("want exactly owner/name after the host")
	}
	if host == "www.github.com" {
		host = "github.com"
	}
	return Repo{Host: host, Owner: parts[0], Name: parts[1], URL: clean}, nil
}

func validSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		ok := r == '-' || r == '_' || r == '.' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
