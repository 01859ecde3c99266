package credentials

import (
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

func TestTokenMap(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(`
# comment
ghe.example.com=ghe-host-token
github.com/acme = acme-token
GitHub.com/Other=other-token
`), "default-token")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		repo gitport.Repo
		want string
	}{
		{"owner line wins", gitport.Repo{Host: "github.com", Owner: "acme", Name: "r"}, "acme-token"},
		{"case-insensitive", gitport.Repo{Host: "github.com", Owner: "other", Name: "r"}, "other-token"},
		{"host line", gitport.Repo{Host: "ghe.example.com", Owner: "x", Name: "r"}, "ghe-host-token"},
		{"default", gitport.Repo{Host: "github.com", Owner: "nobody", Name: "r"}, "default-token"},
		{"default never to another host", gitport.Repo{Host: "gitlab.example.com", Owner: "acme", Name: "r"}, ""},
	} {
		if got := m.For(tc.repo); got != tc.want {
			t.Errorf("%s: For(%v) = %q, want %q", tc.name, tc.repo, got, tc.want)
		}
	}
}

func TestTokenMapBadLineNamesLineNotToken(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("github.com/acme/extra=sekrit-value\n"), "")
	if err == nil {
		t.Fatal("want an error for a line with two slashes")
	}
	if strings.Contains(err.Error(), "sekrit") || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("error %q must name the line and not the token", err)
	}
}

// The URL's scheme chooses the line: https gets the host and owner lines,
// plain http only the http:// lines (the operator's consent), ssh none.
func TestBasicAuthByScheme(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(`
git.example.com=https-token
https://secure.example.com=also-https
http://lab.example.com:3000=oauth2:lab-token
http://lab.example.com:3000/team=team-token
`), "default-token")
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		User, Pass string
		Plain      bool
	}
	for _, tc := range []struct {
		name, url string
		want      got
	}{
		{"https host line", "https://git.example.com/o/r.git", got{Pass: "https-token"}},
		{"https:// prefix changes nothing", "https://secure.example.com/o/r.git", got{Pass: "also-https"}},
		{"http without an http:// line gets nothing", "http://git.example.com/o/r.git", got{}},
		{"http host line", "http://lab.example.com:3000/o/r.git", got{User: "oauth2", Pass: "lab-token", Plain: true}},
		{"http owner line", "http://lab.example.com:3000/team/r.git", got{Pass: "team-token", Plain: true}},
		{"https never gets an http:// line", "https://lab.example.com:3000/o/r.git", got{}},
		{"ssh gets no token", "git@git.example.com:o/r.git", got{}},
		{"ssh:// gets no token", "ssh://git@git.example.com/o/r.git", got{}},
	} {
		r, err := gitport.ParseURL(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		var g got
		g.User, g.Pass, g.Plain = m.BasicAuth(r)
		if g != tc.want {
			t.Errorf("%s: BasicAuth(%s) = %+v, want %+v", tc.name, tc.url, g, tc.want)
		}
	}
	if m.For(gitport.Repo{Host: "lab.example.com:3000", Owner: "o", Name: "r"}) != "" {
		t.Error("an http:// line reached the GitHub token lookup")
	}
	secrets := strings.Join(m.Secrets(), " ")
	for _, s := range []string{"https-token", "also-https", "lab-token", "team-token", "default-token"} {
		if !strings.Contains(secrets, s) {
			t.Errorf("Secrets() misses %s, so logs would not redact it", s)
		}
	}
	if _, err := Parse([]byte("ftp://h=x\n"), ""); err == nil {
		t.Error("an ftp:// line was accepted")
	}
}
