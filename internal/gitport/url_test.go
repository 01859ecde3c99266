package gitport_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     gitport.Repo
		scheme   string
		wantErr  bool
	}{
		{name: "https", in: "https://github.com/githedgehog/fabric", want: gitport.Repo{Host: "github.com", Owner: "githedgehog", Name: "fabric", URL: "https://github.com/githedgehog/fabric"}, scheme: "https"},
		{name: "https .git", in: "https://github.com/githedgehog/fabric.git", want: gitport.Repo{Host: "github.com", Owner: "githedgehog", Name: "fabric", URL: "https://github.com/githedgehog/fabric.git"}, scheme: "https"},
		{name: "trailing slash", in: "https://github.com/o/r/", want: gitport.Repo{Host: "github.com", Owner: "o", Name: "r", URL: "https://github.com/o/r"}, scheme: "https"},
		{name: "www", in: "https://www.github.com/o/r", want: gitport.Repo{Host: "github.com", Owner: "o", Name: "r", URL: "https://www.github.com/o/r"}, scheme: "https"},
		{name: "http keeps its scheme and port", in: "http://GHE.corp:8080/o/r.git", want: gitport.Repo{Host: "ghe.corp:8080", Owner: "o", Name: "r", URL: "http://ghe.corp:8080/o/r.git"}, scheme: "http"},
		{name: "credentials dropped", in: "https://x-access-token:SECRETPASS@github.com/o/r.git", want: gitport.Repo{Host: "github.com", Owner: "o", Name: "r", URL: "https://github.com/o/r.git"}, scheme: "https"},
		{name: "scp-like", in: "git@github.com:o/r.git", want: gitport.Repo{Host: "github.com", Owner: "o", Name: "r", URL: "git@github.com:o/r.git"}, scheme: "ssh"},
		{name: "scp-like GHE", in: "git@GHE.example.com:team/repo", want: gitport.Repo{Host: "ghe.example.com", Owner: "team", Name: "repo", URL: "git@ghe.example.com:team/repo"}, scheme: "ssh"},
		{name: "ssh keeps its port and user", in: "ssh://git@ghe.example.com:2222/o/r.git", want: gitport.Repo{Host: "ghe.example.com", Owner: "o", Name: "r", URL: "ssh://git@ghe.example.com:2222/o/r.git"}, scheme: "ssh"},
		{name: "ssh password dropped", in: "ssh://git:SECRETPASS@h.example:22/o/r", want: gitport.Repo{Host: "h.example", Owner: "o", Name: "r", URL: "ssh://git@h.example:22/o/r"}, scheme: "ssh"},
		{name: "scp-like password dropped", in: "git:SECRETPASS@h.example:o/r", want: gitport.Repo{Host: "h.example", Owner: "o", Name: "r", URL: "git@h.example:o/r"}, scheme: "ssh"},
		{name: "empty", in: "", wantErr: true},
		{name: "no owner", in: "https://github.com/r", wantErr: true},
		{name: "tree URL", in: "https://github.com/o/r/tree/main", wantErr: true},
		{name: "ftp", in: "ftp://github.com/o/r", wantErr: true},
		{name: "file", in: "file:///srv/git/r.git", wantErr: true},
		{name: "bare path", in: "github.com/o/r", wantErr: true},
		{name: "dotdot", in: "https://github.com/../r", wantErr: true},
		{name: "query", in: "https://github.com/o/r?x=1", wantErr: true},
		{name: "bad chars", in: "https://github.com/o/r%20x", wantErr: true},
		{name: "credentials in a bad URL", in: "ftp://user:SECRETPASS@github.com/o/r", wantErr: true},
		{name: "credentials in scp-like", in: "user:SECRETPASS@github.com/o/r", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := gitport.ParseURL(tc.in)
			if tc.wantErr {
				if gitport.ClassOf(err) != gitport.ClassInvalid {
					t.Fatalf("ParseURL(%q) = %v, %v; want an invalid error", tc.in, got, err)
				}
				if strings.Contains(err.Error(), "SECRETPASS") {
					t.Errorf("error echoes the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ParseURL(%q) (-want +got):\n%s", tc.in, d)
			}
			if got.Scheme() != tc.scheme {
				t.Errorf("ParseURL(%q).Scheme() = %q, want %q", tc.in, got.Scheme(), tc.scheme)
			}
			if strings.Contains(got.URL, "SECRETPASS") {
				t.Errorf("the URL keeps the password: %s", got.URL)
			}
		})
	}
}

func TestSchemeWithoutURL(t *testing.T) {
	t.Parallel()
	if got := (gitport.Repo{Host: "h", Owner: "o", Name: "r"}).Scheme(); got != gitport.SchemeHTTPS {
		t.Errorf("Scheme() of a Repo without URL = %q, want https", got)
	}
}
