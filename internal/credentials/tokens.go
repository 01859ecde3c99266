// Package credentials decides which secret a repository gets: the token
// map file's most specific line, else the default GitHub token for
// github.com only. A repository reached over plain HTTP gets a token only
// from a line that names the http scheme. It never prints a token: errors
// name only line numbers.
package credentials

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// TokenMap picks the token of a repository: the most specific line of the
// token map file ("host/owner=token", then "host=token"), else, for
// github.com only, the default token. The default token is never sent to
// another host: a GitHub Enterprise or other git host needs its own line.
// Tokens are never printed: errors name only the line number.
//
// A line whose key starts with "http://" ("http://host/owner=token",
// "http://host=token") is the operator's explicit consent to send that
// token over plain HTTP, where anyone on the path can read it; it is used
// for http:// repository URLs only, and nothing else is ever sent over
// plain HTTP. "https://" before a key is allowed and changes nothing.
type TokenMap struct {
	byOwner map[string]string // "host/owner"
	byHost  map[string]string // "host"
	// plain holds the http:// lines, keyed like byOwner and byHost.
	plain map[string]string
	def   string
}

// New is a TokenMap of the default token alone.
func New(def string) *TokenMap {
	return &TokenMap{byOwner: map[string]string{}, byHost: map[string]string{}, plain: map[string]string{}, def: def}
}

// Load reads the token map file path ("" = none) around the default token.
func Load(path, def string) (*TokenMap, error) {
	if path == "" {
		return New(def), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, def)
}

// Parse reads a token map: "host/owner=token" and "host=token" lines,
// either optionally after "https://" or "http://", blank lines and #
// comments.
func Parse(data []byte, def string) (*TokenMap, error) {
	m := New(def)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, tok, ok := strings.Cut(line, "=")
		key, tok = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(tok)
		key = strings.TrimPrefix(key, "https://")
		key, plain := strings.CutPrefix(key, "http://")
		if !ok || key == "" || tok == "" || strings.Count(key, "/") > 1 || strings.Contains(key, "://") {
			return nil, fmt.Errorf("token map line %d: want [http://]host/owner=token or [http://]host=token", n)
		}
		switch {
		case plain:
			m.plain[key] = tok
		case strings.Contains(key, "/"):
			m.byOwner[key] = tok
		default:
			m.byHost[key] = tok
		}
	}
	return m, sc.Err()
}

// For is the token of a repository: its token map line, else the
// default token on github.com only.
func (m *TokenMap) For(r gitport.Repo) string {
	if t := m.Mapped(r); t != "" {
		return t
	}
	if strings.EqualFold(r.Host, "github.com") {
		return m.def
	}
	return ""
}

// Mapped returns the token map's own line for the repository, ignoring the
// default token: with a GitHub App configured, such a line still wins.
func (m *TokenMap) Mapped(r gitport.Repo) string {
	host := strings.ToLower(r.Host)
	if t, ok := m.byOwner[host+"/"+strings.ToLower(r.Owner)]; ok {
		return t
	}
	return m.byHost[host]
}

// Secrets returns every non-empty token of the map, for log redaction.
func (m *TokenMap) Secrets() []string {
	var out []string
	for _, t := range m.byOwner {
		out = append(out, t)
	}
	for _, t := range m.byHost {
		out = append(out, t)
	}
	for _, t := range m.plain {
		out = append(out, t)
	}
	if m.def != "" {
		out = append(out, m.def)
	}
	return out
}

// GitHubToken is the token for the GitHub API: a "user:token" line gives
// its token part.
func (m *TokenMap) GitHubToken(r gitport.Repo) string {
	t := m.For(r)
	if _, tok, ok := strings.Cut(t, ":"); ok {
		return tok
	}
	return t
}

// BasicAuth is the user and password for a repository on a host that is
// not GitHub: "user:token" lines give both, a bare token goes with an empty
// user (the adapter sends the user name git). The repository's scheme
// chooses the lines: an https URL gets the host and owner lines, an http
// URL only the http:// lines (plaintext reports whether it got one), and
// an SSH URL none (it authenticates with the SSH key).
func (m *TokenMap) BasicAuth(r gitport.Repo) (user, password string, plaintext bool) {
	var t string
	switch r.Scheme() {
	case gitport.SchemeSSH:
		return "", "", false
	case gitport.SchemeHTTP:
		t, plaintext = m.plainLine(r), true
	default:
		t = m.For(r)
	}
	if t == "" {
		return "", "", false
	}
	if user, tok, ok := strings.Cut(t, ":"); ok {
		return user, tok, plaintext
	}
	return "", t, plaintext
}

// plainLine is the most specific http:// line of a repository.
func (m *TokenMap) plainLine(r gitport.Repo) string {
	host := strings.ToLower(r.Host)
	if t, ok := m.plain[host+"/"+strings.ToLower(r.Owner)]; ok {
		return t
	}
	return m.plain[host]
}
