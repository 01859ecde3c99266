package githubsim_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/pkg/githook"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// Every ref move (a seeded push, an API commit) is delivered as a signed
// push webhook whose body GitHub's webhook description admits, listing
// each commit's added, modified and removed files.
func TestPushWebhookDeliveries(t *testing.T) {
	rc := testkit.RecordHooks(t)
	secret := "hook-secret"
	h := setup(t, githubsim.Options{PushWebhook: &githubsim.PushWebhook{URL: rc.URL, Secret: secret}})
	first, err := h.sim.SeedFiles("o", "r", "main", map[string][]byte{"a.yaml": []byte("a: 1\n"), "raw/b.yaml": []byte("b: 1\n")}, "seed")
	if err != nil {
		t.Fatal(err)
	}
	second, err := h.sim.SeedFiles("o", "r", "main", map[string][]byte{"a.yaml": []byte("a: 2\n"), "raw/b.yaml": nil, "raw/c.yaml": []byte("c\n")}, "change")
	if err != nil {
		t.Fatal(err)
	}
	// A commit through the API (the Contents API here) is delivered too.
	code, _, _ := h.do("PUT", "/repos/o/r/contents/raw/d.yaml", tok, map[string]any{
		"message": "via API\n\nNetBox-Object: netbox_hedgehog.hedgehogfabric:1\n", "content": "ZDogMQo=", "branch": "main",
	})
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("contents PUT: %d", code)
	}
	if !h.sim.WaitHooks(5 * time.Second) {
		t.Fatal("deliveries not made")
	}
	ds := rc.Deliveries()
	if len(ds) != 3 {
		t.Fatalf("%d deliveries, want 3", len(ds))
	}
	schema := testkit.Webhooks(t)
	var pushes []*githook.Push
	for i, dl := range ds {
		body := dl.Body
		if err := schema.Validate("push", body); err != nil {
			t.Errorf("delivery %d: %.600s", i, err)
		}
		d, ok := githook.Identify(dl.Header)
		if !ok || d.Host != githook.GitHub || d.Event != githook.EventPush {
			t.Fatalf("delivery %d identified as %+v", i, d)
		}
		if err := githook.Verify(d.Host, []byte(secret), body, dl.Header); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
		p, err := githook.Parse(d.Host, body)
		if err != nil {
			t.Fatal(err)
		}
		pushes = append(pushes, p)
	}
	if !pushes[0].Created || pushes[0].After != first || pushes[0].Complete {
		t.Errorf("first push: created %v after %s complete %v", pushes[0].Created, pushes[0].After, pushes[0].Complete)
	}
	if pushes[1].Before != first || pushes[1].After != second || !pushes[1].Complete || pushes[1].Branch != "main" {
		t.Errorf("second push: %+v", pushes[1])
	}
	c := pushes[1].Commits[0]
	got := [][]string{c.Added, c.Modified, c.Removed}
	if diff := cmp.Diff([][]string{{"raw/c.yaml"}, {"a.yaml"}, {"raw/b.yaml"}}, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if got := pushes[2].Paths(nil); !cmp.Equal(got, []string{"raw/d.yaml"}) {
		t.Errorf("API commit paths %v", got)
	}
	var raw map[string]any
	_ = json.Unmarshal(ds[2].Body, &raw)
	if want := "https://github.com/o/r.git"; raw["repository"].(map[string]any)["clone_url"] != want {
		t.Errorf("clone_url = %v, want %s", raw["repository"].(map[string]any)["clone_url"], want)
	}
}
