package githook_test

import (
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/pkg/githook"
)

// FuzzParse feeds Parse arbitrary bodies, seeded with each host's push.
// An accepted body gives a usable push; a rejected one a one-line error.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"github-push.json", "gitlab-push.json", "gitea-push.json"} {
		f.Add(readFile(f, name))
	}
	for _, s := range []string{`{}`, `{"ref":"refs/heads/x","repository":{"clone_url":"a"},"commits":[{}]}`, `[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, host := range githook.Hosts {
			p, err := githook.Parse(host, body)
			if err != nil {
				if strings.ContainsAny(err.Error(), "\n\r") {
					t.Fatalf("error is not one line: %q", err)
				}
				continue
			}
			if p.Ref == "" || len(p.RepositoryURLs) == 0 {
				t.Fatalf("accepted an unusable push: %+v", p)
			}
			if p.Complete && len(p.Commits) == 0 {
				t.Fatal("complete without commits")
			}
			_ = p.Paths(nil)
		}
	})
}
