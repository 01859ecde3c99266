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
