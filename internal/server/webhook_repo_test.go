package server_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/server"
	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/nbwire"
)

// repoQueue is a fakeQueue that also takes git repository changes.
type repoQueue struct {
	fakeQueue
	mu    sync.Mutex
	repos []string
}

func (q *repoQueue) EnqueueRepository(repoID int64, reason, requestID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.repos = append(q.repos, fmt.Sprintf("%d %s %s", repoID, reason, requestID))
}

func (q *repoQueue) Repos() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.repos...)
}

// repoDelivery builds the body NetBox of the given form sends for an event
// of git repository 3 (nil pre: created; nil post: deleted).
func repoDelivery(t testing.TB, form nbwire.Form, event, requestID string, pre, post map[string]any) []byte {
	t.Helper()
	ev := &netboxhook.Event{
		Event: event, Timestamp: time.Date(2026, 3, 6, 15, 11, 23, 503186000, time.UTC),
		ObjectType: "netbox_hedgehog.gitrepository", Model: "gitrepository",
		Username: "admin", RequestID: requestID, RequestMethod: "PATCH",
		RequestPath: "/api/plugins/hedgehog/git-repos-api/3/",
		Prechange:   pre, Postchange: post,
	}
	cur := post
	if cur == nil {
		cur = pre
	}
	ev.Data = map[string]any{"id": 3, "url": "/api/plugins/hedgehog/git-repos-api/3/", "display": "repo"}
	for k, v := range cur {
		ev.Data[k] = v
	}
	b, err := nbwire.Body(form, ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWebhookRepository(t *testing.T) {
	t.Parallel()
	repo := func(push string) map[string]any {
		return map[string]any{
			"name": "repo", "url": "https://github.com/acme/fabrics.git", "default_branch": "main",
			"push_branch": push, "last_updated": "2026-03-06T15:11:23.100000Z",
		}
	}
	tests := []struct {
		name      string
		body      []byte
		noRepos   bool // the queue does not take repositories
		wantRepos []string
		wantCount map[string]float64
	}{
		{
			name:      "4.2 default_branch updated",
			body:      repoDelivery(t, nbwire.Form40, "updated", "r-42", repo(""), func() map[string]any { r := repo(""); r["default_branch"] = "prod"; return r }()),
			wantRepos: []string{"3 webhook repository updated r-42"},
			wantCount: map[string]float64{"accepted": 1},
		},
		{
			// A new repository has no fabric yet: a fabric's own event
			// covers the fabric created on it.
			name:      "4.2 created is ignored",
			body:      repoDelivery(t, nbwire.Form40, "created", "r-42", nil, repo("")),
			wantCount: map[string]float64{"ignored": 1},
		},
		{
			name:      "4.6 created is ignored",
			body:      repoDelivery(t, nbwire.Form46, "created", "r-46", nil, repo("")),
			wantCount: map[string]float64{"ignored": 1},
		},
		{
			name:      "4.6 push_branch updated",
			body:      repoDelivery(t, nbwire.Form46, "updated", "r-46", repo(""), repo("gitops")),
			wantRepos: []string{"3 webhook repository updated r-46"},
			wantCount: map[string]float64{"accepted": 1},
		},
		{
			name:      "4.6 updated without a request id",
			body:      repoDelivery(t, nbwire.Form46, "updated", "", repo(""), repo("gitops")),
			wantRepos: []string{"3 webhook repository updated "},
			wantCount: map[string]float64{"accepted": 1},
		},
		{
			name:      "4.7 deleted is ignored",
			body:      repoDelivery(t, nbwire.Form47, "deleted", "r-del", repo(""), nil),
			wantCount: map[string]float64{"ignored": 1},
		},
		{
			name:      "4.2 updated, queue without repositories",
			body:      repoDelivery(t, nbwire.Form40, "updated", "r-42", repo(""), repo("gitops")),
			noRepos:   true,
			wantCount: map[string]float64{"ignored": 1},
		},
		{
			name:      "4.6 updated, queue without repositories",
			body:      repoDelivery(t, nbwire.Form46, "updated", "r-46", repo(""), repo("gitops")),
			noRepos:   true,
			wantCount: map[string]float64{"ignored": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := &repoQueue{}
			hs := newHarness(t, func(o *server.Options) {
				if !tt.noRepos {
					o.Queue = q
				}
			})
			rec := hs.do(post(tt.body, sign(tt.body)))
			if rec.Code != http.StatusAccepted {
				t.Fatalf("status %d, want 202; body %s", rec.Code, rec.Body)
			}
			if diff := cmp.Diff(tt.wantRepos, q.Repos()); diff != "" {
				t.Errorf("repository calls (-want +got):\n%s", diff)
			}
			if calls := append(q.Calls(), hs.queue.Calls()...); len(calls) != 0 {
				t.Errorf("fabric queue calls %q, want none", calls)
			}
			if diff := cmp.Diff(tt.wantCount, webhookCounts(t, hs.metrics)); diff != "" {
				t.Errorf("webhook counts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWebhookRepositoryBadSignature: a repository event is verified like
// any other before it reaches the queue.
func TestWebhookRepositoryBadSignature(t *testing.T) {
	t.Parallel()
	q := &repoQueue{}
	hs := newHarness(t, func(o *server.Options) { o.Queue = q })
	b := repoDelivery(t, nbwire.Form46, "updated", "r", nil, map[string]any{"push_branch": "x"})
	rec := hs.do(post(b, netboxhook.Sign([]byte("other"), b)))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", rec.Code)
	}
	if got := q.Repos(); len(got) != 0 {
		t.Errorf("repository calls %q, want none", got)
	}
}
