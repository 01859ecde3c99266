// Package credentials decides which secret a repository gets: the token
// map file's most specific line, else the default GitHub token for
// github.com only. It never prints a token: errors name only line numbers.
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
type TokenMap struct {
	byOwner map[string]string // "host/owner"
	byHost  map[string]string // "host"
	def     string
}

// New is a TokenMap of the default token alone.
func New(def string) *TokenMap {
	return &TokenMap{byOwner: map[string]string{}, byHost: map[string]string{}, def: def}
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
// blank lines and # comments.
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
		if !ok || key == "" || tok == "" || strings.Count(key, "/") > 1 {
			return nil, fmt.Errorf("token map line %d: want host/owner=token or host=token", n)
		}
		if strings.Contains(key, "/") {
			m.byOwner[key] = tok
		} else {
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
// user (the adapter sends the user name git).
func (m *TokenMap) BasicAuth(r gitport.Repo) (user, password string) {
	t := m.For(r)
	if user, tok, ok := strings.Cut(t, ":"); ok {
		return user, tok
	}
	return "", t
}
