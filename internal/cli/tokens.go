package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
)

// tokenMap picks the token of a repository: the most specific line of the
// token map file ("host/owner=token", then "host=token"), else, for
// github.com only, the default token. The default token is never sent to
// another host: a GitHub Enterprise or other git host needs its own line.
// Tokens are never printed: errors name only the line number.
type tokenMap struct {
	byOwner map[string]string // "host/owner"
	byHost  map[string]string // "host"
	def     string
}

func parseTokenMap(data []byte, def string) (*tokenMap, error) {
	m := &tokenMap{byOwner: map[string]string{}, byHost: map[string]string{}, def: def}
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

func (m *tokenMap) tokenFor(r gitport.Repo) string {
	if t := m.mapped(r); t != "" {
		return t
	}
	if strings.EqualFold(r.Host, "github.com") {
		return m.def
	}
	return ""
}

// mapped returns the token map's own line for the repository, ignoring the
// default token: with a GitHub App configured, such a line still wins.
func (m *tokenMap) mapped(r gitport.Repo) string {
	host := strings.ToLower(r.Host)
	if t, ok := m.byOwner[host+"/"+strings.ToLower(r.Owner)]; ok {
		return t
	}
	return m.byHost[host]
}

// secrets returns every non-empty token of the map, for log redaction.
func (m *tokenMap) secrets() []string {
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

// githubToken is the token for the GitHub API: a "user:token" line gives
// its token part.
func (m *tokenMap) githubToken(r gitport.Repo) string {
	t := m.tokenFor(r)
	if _, tok, ok := strings.Cut(t, ":"); ok {
		return tok
	}
	return t
}

// gitCredentials are the credentials for a repository on a host that is not
// GitHub: basic auth from the token map ("user:token", or a bare token sent
// with the user name git), and the SSH key for git@host URLs.
func (m *tokenMap) gitCredentials(sshKey, knownHosts string) func(gitport.Repo) gitremote.Credentials {
	return func(r gitport.Repo) gitremote.Credentials {
		c := gitremote.Credentials{SSHKeyFile: sshKey, KnownHostsFile: knownHosts}
		t := m.tokenFor(r)
		if user, tok, ok := strings.Cut(t, ":"); ok {
			c.Username, c.Password = user, tok
		} else {
			c.Password = t
		}
		return c
	}
}
