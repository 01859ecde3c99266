package githubsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// PushWebhook is a repository webhook for the push event, as GitHub
// delivers it: a JSON body shaped by GitHub's webhook description
// (testdata/github-webhooks, checked by the package's tests), signed with
// X-Hub-Signature-256.
type PushWebhook struct {
	URL    string
	Secret string
	// Client sends the deliveries (default: a 10-second timeout).
	Client *http.Client
	// MaxCommits is how many commits a payload lists at most (0: 20, as
	// GitHub Enterprise Server); older ones are left out, like GitHub.
	MaxCommits int
}

// HookDelivery is one delivery the emulator made.
type HookDelivery struct {
	Event  string
	ID     string
	HookID int64 // the repository webhook, 0 for Options.PushWebhook
	Ref    string
	Body   []byte
	Status int    // the receiver's answer, 0 when none
	Err    string // a transport error

	url, secret string // "" url: Options.PushWebhook's current URL
}

// hookQueue sends deliveries in order, one at a time, like GitHub's
// per-hook queue. Its goroutine starts with the first delivery and ends
// with the emulator.
type hookQueue struct {
	client  *http.Client
	closing <-chan struct{}
	start   sync.Once

	mu   sync.Mutex
	todo []HookDelivery
	done []HookDelivery
	wake chan struct{}
	busy bool
	next int
	url  string // Options.PushWebhook's URL, changed by SetPushWebhookURL
}

func newHookQueue(o *Options, closing <-chan struct{}) *hookQueue {
	q := &hookQueue{closing: closing, wake: make(chan struct{}, 1), client: &http.Client{Timeout: 10 * time.Second}}
	if pw := o.PushWebhook; pw != nil {
		q.url = pw.URL
		if pw.Client != nil {
			q.client = pw.Client
		}
		if pw.MaxCommits <= 0 {
			pw.MaxCommits = 20
		}
	}
	return q
}

func (q *hookQueue) add(d HookDelivery) {
	q.start.Do(func() { go q.run() })
	q.mu.Lock()
	q.next++
	d.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", q.next)
	q.todo = append(q.todo, d)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *hookQueue) run() {
	for {
		select {
		case <-q.closing:
			q.client.CloseIdleConnections()
			return
		case <-q.wake:
		}
		for {
			q.mu.Lock()
			if len(q.todo) == 0 {
				q.busy = false
				q.mu.Unlock()
				break
			}
			d := q.todo[0]
			q.todo = q.todo[1:]
			q.busy = true
			q.mu.Unlock()
			q.send(&d)
			q.mu.Lock()
			q.done = append(q.done, d)
			q.mu.Unlock()
		}
	}
}

func (q *hookQueue) send(d *HookDelivery) {
	url := d.url
	if url == "" {
		q.mu.Lock()
		url = q.url
		q.mu.Unlock()
	}
	if url == "" {
		d.Err = "githubsim: no push webhook URL"
		return
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		d.Err = err.Error()
		return
	}
	m := hmac.New(sha256.New, []byte(d.secret))
	m.Write(d.Body)
	for k, v := range map[string]string{
		"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/githubsim",
		"X-GitHub-Event": d.Event, "X-GitHub-Delivery": d.ID, "X-GitHub-Hook-ID": fmt.Sprint(d.HookID),
		"X-GitHub-Hook-Installation-Target-ID": "1", "X-GitHub-Hook-Installation-Target-Type": "repository",
	} {
		req.Header.Set(k, v)
	}
	if d.secret != "" {
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	}
	resp, err := q.client.Do(req)
	if err != nil {
		d.Err = err.Error()
		return
	}
	_ = resp.Body.Close()
	d.Status = resp.StatusCode
}

// HookDeliveries returns the deliveries made so far, in order.
func (s *Server) HookDeliveries() []HookDelivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return append([]HookDelivery(nil), s.hooks.done...)
}

// pushed queues the push webhooks of one ref move: Options.PushWebhook's
// and those of the repository's webhooks that take push events. The caller
// holds rp.mu.
func (s *Server) pushed(rp *repo, ref plumbing.ReferenceName, before, after plumbing.Hash) {
	if !ref.IsBranch() && !ref.IsTag() {
		return
	}
	var targets []HookDelivery
	if pw := s.opts.PushWebhook; pw != nil {
		targets = append(targets, HookDelivery{secret: pw.Secret})
	}
	for _, h := range rp.hooks {
		if h.Active && (slices.Contains(h.Events, "push") || slices.Contains(h.Events, "*")) {
			targets = append(targets, HookDelivery{HookID: h.ID, url: h.Config.URL, secret: h.Config.Secret})
		}
	}
	if len(targets) == 0 {
		return
	}
	body, err := s.pushPayload(rp, ref, before, after)
	for _, d := range targets {
		d.Event, d.Ref, d.Body = "push", ref.String(), body
		if err != nil {
			d.Err = "githubsim: build the push payload: " + err.Error()
			s.hooks.mu.Lock()
			s.hooks.done = append(s.hooks.done, d)
			s.hooks.mu.Unlock()
			continue
		}
		s.hooks.add(d)
	}
}

// pushPayload is the push event's body for a ref move (the webhook-push
// schema). Commits are the first-parent chain from after back to before,
// oldest first, at most MaxCommits of the newest.
func (s *Server) pushPayload(rp *repo, ref plumbing.ReferenceName, before, after plumbing.Hash) ([]byte, error) {
	chain, err := s.pushedCommits(rp, before, after)
	if err != nil {
		return nil, err
	}
	commits := make([]map[string]any, 0, len(chain))
	for _, c := range chain {
		cj, err := s.pushCommitJSON(rp, c)
		if err != nil {
			return nil, err
		}
		commits = append(commits, cj)
	}
	var head any
	if len(commits) > 0 {
		head = commits[len(commits)-1]
	}
	r := &http.Request{Host: s.apiHost()}
	repoJSON := s.repositoryJSON(r, rp, rp.defaultBranch())
	repoJSON["topics"], repoJSON["visibility"] = []string{}, "public"
	// Clone URLs name the web host, as GitHub's do.
	web := strings.TrimPrefix(strings.TrimPrefix(s.opts.WebURL, "https://"), "http://")
	full := rp.owner + "/" + rp.name
	repoJSON["ssh_url"], repoJSON["git_url"] = "git@"+web+":"+full+".git", "git://"+web+"/"+full+".git"
	if rp.private {
		repoJSON["visibility"] = "private"
	}
	return json.Marshal(map[string]any{
		"ref": ref.String(), "before": before.String(), "after": after.String(),
		"created": before.IsZero(), "deleted": after.IsZero(), "forced": false, "base_ref": nil,
		"compare":     s.htmlURL(rp, "/compare/"+before.String()[:12]+"..."+after.String()[:12]),
		"commits":     commits,
		"head_commit": head,
		"repository":  repoJSON,
		"pusher":      map[string]any{"name": rp.owner, "email": nil},
		"sender":      s.userJSON(r, rp.owner),
	})
}

// apiHost is the host of the emulator's API URLs outside a request.
func (s *Server) apiHost() string {
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return "api.github.invalid"
}

// pushedCommits walks first parents from after back to before.
func (s *Server) pushedCommits(rp *repo, before, after plumbing.Hash) ([]*object.Commit, error) {
	var chain []*object.Commit
	limit := 20
	if pw := s.opts.PushWebhook; pw != nil && pw.MaxCommits > 0 {
		limit = pw.MaxCommits
	}
	for h := after; !h.IsZero() && h != before && len(chain) < limit; {
		c, err := rp.git.commit(h)
		if err != nil {
			return nil, err
		}
		chain = append(chain, c)
		if c.NumParents() == 0 {
			break
		}
		h = c.ParentHashes[0]
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain, nil
}

// pushCommitJSON is one commit of a push payload, with the files it
// added, modified and removed against its first parent.
func (s *Server) pushCommitJSON(rp *repo, c *object.Commit) (map[string]any, error) {
	now, err := rp.git.files(c.TreeHash)
	if err != nil {
		return nil, err
	}
	prev := map[string]plumbing.Hash{}
	if c.NumParents() > 0 {
		p, err := rp.git.commit(c.ParentHashes[0])
		if err != nil {
			return nil, err
		}
		if prev, err = rp.git.files(p.TreeHash); err != nil {
			return nil, err
		}
	}
	added, modified, removed := []string{}, []string{}, []string{}
	for p, h := range now {
		switch old, ok := prev[p]; {
		case !ok:
			added = append(added, p)
		case old != h:
			modified = append(modified, p)
		}
	}
	for p := range prev {
		if _, ok := now[p]; !ok {
			removed = append(removed, p)
		}
	}
	sort.Strings(added)
	sort.Strings(modified)
	sort.Strings(removed)
	person := func(sig object.Signature) map[string]any {
		return map[string]any{"name": sig.Name, "email": sig.Email, "date": sig.When.UTC().Format(time.RFC3339)}
	}
	return map[string]any{
		"id": c.Hash.String(), "tree_id": c.TreeHash.String(), "distinct": true, "message": c.Message,
		"timestamp": c.Committer.When.Format(time.RFC3339), "url": s.htmlURL(rp, "/commit/"+c.Hash.String()),
		"author": person(c.Author), "committer": person(c.Committer),
		"added": added, "modified": modified, "removed": removed,
	}, nil
}

// WaitHooks waits until every queued delivery was made, at most d; it
// reports whether they were.
func (s *Server) WaitHooks(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		s.hooks.mu.Lock()
		idle := len(s.hooks.todo) == 0 && !s.hooks.busy
		s.hooks.mu.Unlock()
		if idle {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// SetPushWebhookURL points the push webhook at u ("": deliveries are
// recorded with an error and not sent), for a receiver that starts after
// the emulator.
func (s *Server) SetPushWebhookURL(u string) {
	s.hooks.mu.Lock()
	s.hooks.url = u
	s.hooks.mu.Unlock()
}
