// Package redact is the one way secrets leave text in hnp-gitops: every
// adapter's error scrubbing and the log handler use it.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Mark replaces a secret.
const Mark = "[redacted]"

// Secrets replaces each non-empty secret in s with Mark wherever it stands
// as a whole token: not glued to a letter or digit on either side. A
// secret is never glued to other text where it leaks (a header, a URL's
// userinfo, a query value, JSON), while a short secret inside an ordinary
// word ("x" in "netbox") is left alone instead of mangling the word.
func Secrets(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = replaceTokens(s, sec)
		}
	}
	return s
}

func replaceTokens(s, sec string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, sec)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(sec)
		if glued(s, i-1) || glued(s, end) {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString(Mark)
		s = s[end:]
	}
}

// glued reports whether s[i] is a letter or digit (false out of range).
func glued(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

var urlUserinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@`)

// URLUserinfo removes the userinfo (user:token@) of every URL in s, which
// a repository URL typed by hand may carry.
func URLUserinfo(s string) string { return urlUserinfo.ReplaceAllString(s, "${1}") }

// URL returns one URL with anything that may be a credential removed: the
// userinfo of a URL, whatever precedes the last @ of an scp-like address
// (user@host:path), or all of an unparseable URL.
func URL(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && strings.Contains(s, "://") {
		u.User = nil
		return u.String()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		return "…@" + s[i+1:]
	}
	if strings.Contains(s, "://") {
		return "(unparseable URL)"
	}
	return s
}
