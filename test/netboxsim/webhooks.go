package netboxsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Delivery is one webhook job a worker took: sent (with the answer or the
// error) or dropped by a fault.
type Delivery struct {
	Time       time.Time     `json:"time"`
	Duration   time.Duration `json:"duration"`
	Method     string        `json:"method"`
	URL        string        `json:"url"`
	Event      string        `json:"event"` // created, updated, deleted
	ObjectType string        `json:"object_type"`
	ObjectID   int64         `json:"object_id"`
	RuleID     int64         `json:"rule_id"`
	WebhookID  int64         `json:"webhook_id"`
	RequestID  string        `json:"request_id"` // the X-Request-ID of the API request that caused it
	StatusCode int           `json:"status_code,omitempty"`
	Err        string        `json:"error,omitempty"`
	Dropped    bool          `json:"dropped,omitempty"`
	Headers    http.Header   `json:"headers,omitempty"`
	Body       []byte        `json:"body,omitempty"`
}

// OK reports whether the receiver answered 2xx.
func (d Delivery) OK() bool {
	return !d.Dropped && d.Err == "" && d.StatusCode >= 200 && d.StatusCode < 300
}

// event is one object change made through the API.
type event struct {
	kind       string // created, updated, deleted
	objectType string
	objectID   int64
	data       object
	pre, post  any // object or nil
	at         time.Time
	requestID  string
	method     string
	path       string
	user       string
}

// job is one event for one matching rule's webhook.
type job struct {
	ev      *event
	ruleID  int64
	webhook webhook
}

// event records a change of the request; it is turned into jobs when the
// response has been written.
func (s *Server) event(rq *request, res resource, kind string, id int64, data, pre, post object) {
	ev := event{
		kind: kind, objectType: res.objectType, objectID: id, data: data,
		at: time.Now(), requestID: rq.id, method: rq.r.Method, path: rq.r.URL.Path, user: rq.user,
	}
	if pre != nil {
		ev.pre = pre
	}
	if post != nil {
		ev.post = post
	}
	s.logChange(&ev)
	rq.events = append(rq.events, ev)
}

// enqueue matches events against the enabled event rules and queues one
// job per object and rule, as NetBox's process_event_rules does.
func (s *Server) enqueue(events []event) {
	s.mu.Lock()
	var jobs []job
	for i := range events {
		ev := &events[i]
		var generic any
		for _, id := range sortedIDs(s.data.rules) {
			r := s.data.rules[id]
			if !r.Enabled || !slices.Contains(r.ObjectTypes, ev.objectType) || !slices.Contains(r.EventTypes, "object_"+ev.kind) {
				continue
			}
			if r.ActionType != "webhook" || r.ActionObjectType != "extras.webhook" {
				continue
			}
			w := s.data.webhooks[r.ActionObjectID]
			if w == nil {
				continue
			}
			if r.Conditions != nil {
				if generic == nil {
					generic = toGeneric(ev.data)
				}
				if !evalConditions(r.Conditions, generic) {
					continue
				}
			}
			jobs = append(jobs, job{ev: ev, ruleID: r.ID, webhook: *w})
		}
	}
	s.mu.Unlock()
	s.q.push(jobs)
}

// queue is the RQ queue: unbounded, FIFO.
type queue struct {
	mu       sync.Mutex
	cond     *sync.Cond
	jobs     []job
	inFlight int
	closed   bool
}

func (q *queue) push(jobs []job) {
	if len(jobs) == 0 {
		return
	}
	q.mu.Lock()
	q.jobs = append(q.jobs, jobs...)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// pop blocks until a job is queued or the queue is closed.
func (q *queue) pop() (job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.jobs) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return job{}, false
	}
	j := q.jobs[0]
	q.jobs[0] = job{}
	q.jobs = q.jobs[1:]
	q.inFlight++
	return j, true
}

func (q *queue) done() {
	q.mu.Lock()
	q.inFlight--
	q.mu.Unlock()
}

func (q *queue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs) + q.inFlight
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (s *Server) worker() {
	for {
		j, ok := s.q.pop()
		if !ok {
			return
		}
		d := s.deliver(j)
		// Done before record: whoever WaitDeliveries sees it no longer
		// pending.
		s.q.done()
		s.record(d)
		if s.opts.OnDelivery != nil {
			s.opts.OnDelivery(d)
		}
	}
}

// deliveryTimeout is how long NetBox lets a webhook job run: no HTTP
// timeout but RQ's 300 s job timeout up to 4.6, a 60 s default from 4.7.
func (s *Server) deliveryTimeout() time.Duration {
	if s.ver.atLeast(7) {
		return 60 * time.Second
	}
	return 300 * time.Second
}

// deliver sends one job once. There is no retry, as RQ_RETRY_MAX is 0.
func (s *Server) deliver(j job) Delivery {
	ev, w := j.ev, j.webhook
	d := Delivery{
		Time: time.Now(), Method: w.HTTPMethod, URL: w.PayloadURL, Event: ev.kind,
		ObjectType: ev.objectType, ObjectID: ev.objectID, RuleID: j.ruleID, WebhookID: w.ID, RequestID: ev.requestID,
	}
	body, err := encodeJSON(s.webhookBody(ev), true)
	if err != nil {
		d.Err = "render body: " + err.Error()
		return d
	}
	d.Body = body
	if lat := s.faults.deliveryLatency(); lat > 0 {
		if !s.sleep(s.ctx, lat) {
			d.Err = "netboxsim closed"
			return d
		}
	}
	if s.faults.dropDelivery() {
		d.Dropped = true
		return d
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.deliveryTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, w.HTTPMethod, w.PayloadURL, bytes.NewReader(body))
	if err != nil {
		d.Err = err.Error()
		return d
	}
	req.Header.Set("Content-Type", w.HTTPContentType)
	for _, line := range strings.Split(w.AdditionalHeaders, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) != "" {
			req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	if w.Secret != "" {
		req.Header.Set("X-Hook-Signature", Sign(w.Secret, body))
	}
	d.Headers = req.Header.Clone()
	resp, err := s.opts.HTTPClient.Do(req)
	d.Duration = time.Since(d.Time)
	if err != nil {
		d.Err = err.Error()
		return d
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	d.StatusCode = resp.StatusCode
	return d
}

// Sign is NetBox's X-Hook-Signature: HMAC-SHA512 of the body with the
// webhook's secret, in lower-case hex.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// webhookBody is the default template's context in the configured
// version's form.
func (s *Server) webhookBody(ev *event) object {
	_, model, _ := strings.Cut(ev.objectType, ".")
	minor := s.ver.minor
	o := obj("event", ev.kind, "timestamp", pyISO(ev.at))
	if minor >= 4 {
		o = append(o, field{Key: "object_type", Value: ev.objectType})
	}
	if minor <= 4 {
		o = append(o, field{Key: "model", Value: model})
	}
	if minor <= 6 {
		o = append(o, field{Key: "username", Value: ev.user}, field{Key: "request_id", Value: ev.requestID})
	}
	if minor >= 6 {
		o = append(o, field{Key: "request", Value: obj("id", ev.requestID, "method", ev.method, "path", ev.path, "user", ev.user)})
	}
	return append(o,
		field{Key: "data", Value: ev.data},
		field{Key: "snapshots", Value: obj("prechange", ev.pre, "postchange", ev.post)},
	)
}

func (s *Server) record(d Delivery) {
	s.dmu.Lock()
	s.deliveries = append(s.deliveries, d)
	close(s.dnotify)
	s.dnotify = make(chan struct{})
	s.dmu.Unlock()
}

// Deliveries returns every webhook job taken so far, in order.
func (s *Server) Deliveries() []Delivery {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return slices.Clone(s.deliveries)
}

// WaitDeliveriesFor is WaitDeliveries bounded by timeout.
func (s *Server) WaitDeliveriesFor(timeout time.Duration, n int) ([]Delivery, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.WaitDeliveries(ctx, n)
}

// WaitDeliveries waits until at least n webhook jobs were taken (sent,
// failed or dropped) and returns them all.
func (s *Server) WaitDeliveries(ctx context.Context, n int) ([]Delivery, error) {
	for {
		s.dmu.Lock()
		if len(s.deliveries) >= n {
			out := slices.Clone(s.deliveries)
			s.dmu.Unlock()
			return out, nil
		}
		ch := s.dnotify
		s.dmu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Deliveries(), ctx.Err()
		}
	}
}
