package githubapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/pkg/githook"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// EnsurePushHook creates the webhook once (GitHub pings it), then leaves it
// as it is; the webhook it made gets the repository's pushes, signed with
// the secret. Every exchange is held to GitHub's description.
func TestEnsurePushHook(t *testing.T) {
	rc := testkit.RecordHooks(t)
	e := newEnv(t, githubsim.Options{}, nil)
	secret := "hook-s3cret"
	ctx := t.Context()
	got, err := e.gh.EnsurePushHook(ctx, e.repo, rc.URL+"/webhooks/git", secret)
	if err != nil || got != githubapi.HookCreated {
		t.Fatalf("first: %q, %v", got, err)
	}
	got, err = e.gh.EnsurePushHook(ctx, e.repo, rc.URL+"/webhooks/git", secret)
	if err != nil || got != githubapi.HookUnchanged {
		t.Fatalf("second: %q, %v", got, err)
	}
	if _, err := e.sim.SeedFiles(owner, name, "main", map[string][]byte{"raw/a.yaml": []byte("a: 1\n")}, "a person's push"); err != nil {
		t.Fatal(err)
	}
	if !e.sim.WaitHooks(5 * time.Second) {
		t.Fatal("deliveries pending")
	}
	ds := rc.Deliveries()
	var events []string
	for _, d := range ds {
		events = append(events, d.Header.Get("X-GitHub-Event"))
	}
	if len(events) != 2 || events[0] != "ping" || events[1] != "push" {
		t.Fatalf("deliveries %v, want ping then push", events)
	}
	schema := testkit.Webhooks(t)
	for i, ev := range events {
		if err := schema.Validate(ev, ds[i].Body); err != nil {
			t.Errorf("%s: %.500s", ev, err)
		}
		if err := githook.Verify(githook.GitHub, []byte(secret), ds[i].Body, ds[i].Header); err != nil {
			t.Errorf("%s: %v", ev, err)
		}
	}
}

// A webhook to the URL that sends form bodies, or no push, is corrected
// and keeps its other events.
func TestEnsurePushHookUpdatesAWrongOne(t *testing.T) {
	e := newEnv(t, githubsim.Options{}, nil)
	hookURL := "http://127.0.0.1:9/webhooks/git" // never reached: the hook is inactive
	body, _ := json.Marshal(map[string]any{"name": "web", "active": false, "events": []string{"pull_request"},
		"config": map[string]any{"url": hookURL, "content_type": "form"}})
	req, _ := http.NewRequest(http.MethodPost, e.sim.URL()+"/repos/"+owner+"/"+name+"/hooks", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	got, err := e.gh.EnsurePushHook(t.Context(), e.repo, hookURL, "s")
	if err != nil || got != githubapi.HookUpdated {
		t.Fatalf("got %q, %v", got, err)
	}
	if got, err := e.gh.EnsurePushHook(t.Context(), e.repo, hookURL, "s"); err != nil || got != githubapi.HookUnchanged {
		t.Fatalf("again: %q, %v", got, err)
	}
}

// A token without admin rights cannot see or create webhooks: a terminal
// error that does not show the token.
func TestEnsurePushHookWithoutAdminRights(t *testing.T) {
	const readOnly = "ghp_READONLYreadonly0123456789"
	e := newEnv(t, githubsim.Options{ReadOnlyTokens: []string{readOnly}}, func(o *githubapi.GitHubOptions) {
		o.TokenFor = func(gitport.Repo) string { return readOnly }
	})
	_, err := e.gh.EnsurePushHook(t.Context(), e.repo, "https://hnp.example.com/webhooks/git", "s")
	var ge *gitport.Error
	if !errors.As(err, &ge) || ge.Class != gitport.ClassNotFound {
		t.Fatalf("got %v", err)
	}
	noToken(t, err)
}
