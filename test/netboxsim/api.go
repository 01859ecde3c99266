package netboxsim

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxBody caps request bodies, like a reverse proxy in front of NetBox.
const maxBody = 8 << 20

// Page sizes, as NetBox's PAGINATE_COUNT and MAX_PAGE_SIZE defaults.
const (
	defaultLimit = 50
	maxLimit     = 1000
)

type ctxKey int

const helperKey ctxKey = 1

// request is one API request being handled.
type request struct {
	r      *http.Request
	id     string
	user   string
	helper bool
	at     time.Time
	events []event
}

// fieldErrors is a 400 body: {field: [messages]}.
type fieldErrors map[string][]string

func (fe fieldErrors) add(field, format string, args ...any) {
	fe[field] = append(fe[field], fmt.Sprintf(format, args...))
}

// reply is a handler's answer.
type reply struct {
	status int
	body   any // nil: no body
}

func detail(status int, msg string) reply {
	return reply{status, obj("detail", msg)}
}

func notFound() reply { return detail(http.StatusNotFound, "Not found.") }

// resource describes one REST collection; the generic handlers do the rest.
// Every function is called with Server.mu held.
type resource struct {
	path       string // e.g. /api/extras/webhooks/
	objectType string // app_label.model, e.g. extras.webhook
	listRoute  Route
	getRoute   Route
	// hidden, when set, hides an object from the token (404, not listed).
	hidden func(id int64) bool
	// unfiltered, when set and true, makes the list ignore every filter.
	unfiltered func() bool
	writeRoute Route
	readOnly   bool // GET only: no create, update or delete
	// defaultOrdering is the model's Meta.ordering, when not by id.
	defaultOrdering string
	ids             func() []int64
	rest            func(id int64) object
	snapshot        func(id int64) object
	match           func(id int64, q url.Values) bool
	create          func(rq *request, in map[string]any) (int64, fieldErrors)
	update          func(rq *request, id int64, in map[string]any, partial bool) fieldErrors
	remove          func(rq *request, id int64) *reply // non-nil refuses the delete
}

// routes builds the handler of every path.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/status/", s.endpoint(RouteStatus, false, s.handleStatus))
	for _, res := range s.resources() {
		mux.HandleFunc("GET "+res.path, s.endpoint(res.listRoute, true, s.listHandler(res)))
		mux.HandleFunc("GET "+res.path+"{id}/", s.endpoint(res.getRoute, true, s.getHandler(res)))
		if res.readOnly {
			continue
		}
		mux.HandleFunc("POST "+res.path, s.endpoint(res.writeRoute, true, s.createHandler(res)))
		mux.HandleFunc("PATCH "+res.path, s.endpoint(res.writeRoute, true, s.bulkUpdateHandler(res, true)))
		mux.HandleFunc("PUT "+res.path, s.endpoint(res.writeRoute, true, s.bulkUpdateHandler(res, false)))
		mux.HandleFunc("DELETE "+res.path, s.endpoint(res.writeRoute, true, s.bulkDeleteHandler(res)))
		one := res.path + "{id}/"
		mux.HandleFunc("PATCH "+one, s.endpoint(res.writeRoute, true, s.updateHandler(res, true)))
		mux.HandleFunc("PUT "+one, s.endpoint(res.writeRoute, true, s.updateHandler(res, false)))
		mux.HandleFunc("DELETE "+one, s.endpoint(res.writeRoute, true, s.deleteHandler(res)))
	}
	mux.HandleFunc("/api/", s.endpoint("", false, s.handleUnknown))
	s.simRoutes(mux)
	return s.middleware(mux)
}

// middleware gives every answer an X-Request-ID, closes connections while
// the server is down, and redirects API paths without a trailing slash.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		helper := r.Context().Value(helperKey) != nil
		if !helper && s.faults.down() && !strings.HasPrefix(r.URL.Path, "/_sim/") {
			s.countFault("down")
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					if tc, ok := c.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // a reset, not a clean close
					}
					_ = c.Close()
					return
				}
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		id := newRequestID()
		w.Header().Set("X-Request-ID", id)
		if strings.HasPrefix(r.URL.Path, "/api/") && !strings.HasSuffix(r.URL.Path, "/") {
			// Django's APPEND_SLASH.
			u := *r.URL
			u.Path += "/"
			http.Redirect(w, r, u.RequestURI(), http.StatusMovedPermanently)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// endpoint wraps an API handler with statistics, faults, authentication,
// JSON output and the event flush after the response.
func (s *Server) endpoint(route Route, auth bool, h func(*request) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq := &request{
			r:      r,
			id:     w.Header().Get("X-Request-ID"),
			user:   s.opts.Username,
			helper: r.Context().Value(helperKey) != nil,
			at:     time.Now(),
		}
		var d decision
		if !rq.helper {
			s.countRequest(r.Method + " " + routePattern(r))
			d = s.faults.decide(route)
			if d.latency > 0 && !s.sleep(r.Context(), d.latency) {
				return
			}
			if !d.afterApply && s.injectFault(w, r, d) {
				return
			}
		}
		if s.opts.HNPQuirks && route == RouteRepoGet && r.URL.Query().Get("fields") == "" && !rq.helper {
			// HNP 705549aa: the full representation saves the repository
			// in a loop and never answers.
			s.injectFault(w, r, decision{kind: faultHang})
			return
		}
		var rep reply
		if msg, ok := s.authenticate(r, auth); !ok {
			rep = detail(http.StatusForbidden, msg)
		} else {
			rep = s.safely(h, rq)
		}
		if d.afterApply && d.kind != faultNone {
			// The change is committed and its webhooks go out, but the
			// client never sees the answer.
			s.enqueue(rq.events)
			s.injectFault(w, r, d)
			return
		}
		if !rq.helper {
			s.countStatus(rep.status)
		}
		s.writeReply(w, rep)
		if len(rq.events) > 0 {
			// NetBox queues the webhooks when the request's transaction
			// commits, after the response is produced.
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			s.enqueue(rq.events)
		}
	}
}

// safely runs a handler and turns a panic into NetBox's 500 answer, as
// Django turns an exception into one; the request's events are dropped
// with its transaction.
func (s *Server) safely(h func(*request) reply, rq *request) (rep reply) {
	defer func() {
		if p := recover(); p != nil {
			rq.events = nil
			rep = s.serverError("Exception", fmt.Sprint(p))
		}
	}()
	return h(rq)
}

func routePattern(r *http.Request) string {
	p := r.Pattern
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = p[i+1:]
	}
	if p == "" {
		p = r.URL.Path
	}
	return p
}

// injectFault answers with an injected error or hangs; it reports whether
// it did (the request must then not be answered again).
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, d decision) bool {
	switch d.kind {
	case faultError:
		s.countStatus(d.status)
		if d.status == http.StatusInternalServerError {
			s.writeReply(w, s.serverError("OperationalError", "connection to server failed: server closed the connection unexpectedly"))
			return true
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(d.status)
		fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", d.status, http.StatusText(d.status))
		return true
	case faultHang:
		if s.sleep(r.Context(), s.faults.hangMax()) {
			s.countStatus(http.StatusGatewayTimeout)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusGatewayTimeout)
			fmt.Fprintf(w, "<html><body><h1>504 Gateway Time-out</h1></body></html>\n")
		}
		return true
	}
	return false
}

// sleep waits d; false when the client or the server went away first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.ctx.Done():
	}
	return false
}

func (s *Server) serverError(errName, exception string) reply {
	return reply{http.StatusInternalServerError, obj(
		"error", errName,
		"exception", exception,
		"netbox_version", s.ver.String(),
		"python_version", pythonVersion,
	)}
}

// authenticate checks the Authorization header. Without auth required
// (GET /api/status/ when LOGIN_REQUIRED is off) a missing header is fine,
// but a wrong one is still refused.
func (s *Server) authenticate(r *http.Request, required bool) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if !required {
			return "", true
		}
		return "Authentication credentials were not provided.", false
	}
	scheme, tok, _ := strings.Cut(h, " ")
	switch {
	case (strings.EqualFold(scheme, "Token") || strings.EqualFold(scheme, "Bearer")) && tok == s.opts.Token && !s.revoked.Load():
		return "", true
	case !strings.EqualFold(scheme, "Token") && !strings.EqualFold(scheme, "Bearer"):
		return "Authentication credentials were not provided.", false
	}
	return "Invalid token", false
}

func (s *Server) writeReply(w http.ResponseWriter, rep reply) {
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	b, err := encodeJSON(rep.body, false)
	if err != nil {
		rep = s.serverError("TypeError", err.Error())
		b, _ = encodeJSON(rep.body, false)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Allow", "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS")
	w.Header().Set("API-Version", fmt.Sprintf("%d.%d", s.ver.major, s.ver.minor))
	w.WriteHeader(rep.status)
	_, _ = w.Write(b)
}

func (s *Server) handleUnknown(*request) reply { return notFound() }

func (s *Server) handleStatus(*request) reply {
	workers := max(s.opts.RQWorkers, 0)
	return reply{http.StatusOK, obj(
		"django-version", "5.1.5",
		"installed-apps", obj(),
		"netbox-version", s.ver.String(),
		"netbox-full-version", s.ver.String(),
		"plugins", obj("netbox_hedgehog", "0.3.0"),
		"python-version", pythonVersion,
		"rq-workers-running", workers,
	)}
}

// decodeBody reads a JSON object body.
func decodeBody(r *http.Request) (map[string]any, *reply) {
	v, bad := decodeJSON(r)
	if bad != nil {
		return nil, bad
	}
	return asObject(v)
}

func asObject(v any) (map[string]any, *reply) {
	m, ok := v.(map[string]any)
	if !ok {
		rep := reply{http.StatusBadRequest, obj("non_field_errors", []any{fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", pyTypeName(v))})}
		return nil, &rep
	}
	return m, nil
}

// decodeJSON reads a JSON body of any shape.
func decodeJSON(r *http.Request) (any, *reply) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		rep := detail(http.StatusBadRequest, "could not read the request body")
		return nil, &rep
	}
	if len(b) > maxBody {
		rep := detail(http.StatusRequestEntityTooLarge, "Request body too large.")
		return nil, &rep
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		rep := detail(http.StatusBadRequest, "JSON parse error - "+err.Error())
		return nil, &rep
	}
	return v, nil
}

func pyTypeName(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case json.Number:
		return "int"
	case bool:
		return "bool"
	case nil:
		return "NoneType"
	}
	return "dict"
}

func pathID(rq *request) (int64, bool) {
	id, err := strconv.ParseInt(rq.r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) listHandler(res resource) func(*request) reply {
	return func(rq *request) reply {
		q := rq.r.URL.Query()
		limit := defaultLimit
		if v, err := strconv.Atoi(q.Get("limit")); err == nil && v >= 0 {
			limit = v
			if limit == 0 || limit > maxLimit {
				limit = maxLimit
			}
		}
		offset := 0
		if v, err := strconv.Atoi(q.Get("offset")); err == nil && v > 0 {
			offset = v
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var ids []int64
		all := res.unfiltered != nil && res.unfiltered()
		for _, id := range res.ids() {
			if res.hidden != nil && res.hidden(id) {
				continue
			}
			if all || matchID(id, q) && res.match(id, q) {
				ids = append(ids, id)
			}
		}
		ids = orderIDs(ids, cmpOr(q.Get("ordering"), res.defaultOrdering), res.rest)
		brief := isTrue(q.Get("brief"))
		fields := q.Get("fields")
		results := []object{}
		for i := offset; i < len(ids) && i < offset+limit; i++ {
			o := res.rest(ids[i])
			switch {
			case brief:
				o = briefOf(o)
			case fields != "":
				o = fieldsOf(o, strings.Split(fields, ","))
			}
			results = append(results, o)
		}
		var next, prev any
		if offset+limit < len(ids) {
			next = s.pageURL(rq.r, limit, offset+limit)
		}
		if offset > 0 {
			prev = s.pageURL(rq.r, limit, max(offset-limit, 0))
		}
		return reply{http.StatusOK, obj("count", len(ids), "next", next, "previous", prev, "results", results)}
	}
}

// pageURL is the absolute URL of another page, like DRF's
// LimitOffsetPagination (offset dropped on the first page).
func (s *Server) pageURL(r *http.Request, limit, offset int) string {
	q := r.URL.Query()
	q.Set("limit", strconv.Itoa(limit))
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	} else {
		q.Del("offset")
	}
	host := r.Host
	if host == "" {
		host = strings.TrimPrefix(s.url, "http://")
	}
	return "http://" + host + r.URL.Path + "?" + q.Encode()
}

func matchID(id int64, q url.Values) bool {
	vals, ok := q["id"]
	if !ok {
		return true
	}
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil && n == id {
				return true
			}
		}
	}
	return false
}

// matchStrings applies an exact filter (?key=a&key=b means a or b).
func matchStrings(q url.Values, key, have string) bool {
	vals, ok := q[key]
	return !ok || slices.Contains(vals, have)
}

func (s *Server) getHandler(res resource) func(*request) reply {
	return func(rq *request) reply {
		id, ok := pathID(rq)
		s.mu.Lock()
		defer s.mu.Unlock()
		if !ok || !slices.Contains(res.ids(), id) || (res.hidden != nil && res.hidden(id)) {
			return notFound()
		}
		o := res.rest(id)
		if isTrue(rq.r.URL.Query().Get("brief")) {
			o = briefOf(o)
		}
		if f := rq.r.URL.Query().Get("fields"); f != "" {
			o = fieldsOf(o, strings.Split(f, ","))
		}
		return reply{http.StatusOK, o}
	}
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// briefFields are the fields of a brief representation (?brief=1).
var briefFields = []string{"id", "url", "display", "name", "description"}

func briefOf(o object) object { return fieldsOf(o, briefFields) }

// fieldsOf keeps the fields NetBox's ?fields= names (dynamic fields).
func fieldsOf(o object, names []string) object {
	out := object{}
	for _, f := range o {
		if slices.Contains(names, f.Key) {
			out = append(out, f)
		}
	}
	return out
}

// orderIDs applies ?ordering=[-]field for id, name and last_updated
// (default: id).
func orderIDs(ids []int64, ordering string, rest func(int64) object) []int64 {
	desc := strings.HasPrefix(ordering, "-")
	key := strings.TrimPrefix(ordering, "-")
	if key != "name" && key != "last_updated" && key != "created" {
		key = "id"
	}
	vals := map[int64]string{}
	if key != "id" {
		for _, id := range ids {
			for _, f := range rest(id) {
				if f.Key == key {
					vals[id], _ = f.Value.(string)
				}
			}
		}
	}
	slices.SortStableFunc(ids, func(a, b int64) int {
		c := cmp.Compare(a, b)
		if key != "id" {
			c = cmp.Or(cmp.Compare(vals[a], vals[b]), c)
		}
		if desc {
			return -c
		}
		return c
	})
	return ids
}

func (s *Server) createHandler(res resource) func(*request) reply {
	return func(rq *request) reply {
		v, bad := decodeJSON(rq.r)
		if bad != nil {
			return *bad
		}
		if list, ok := v.([]any); ok {
			return s.bulkCreate(rq, res, list)
		}
		in, bad := asObject(v)
		if bad != nil {
			return *bad
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		id, errs := res.create(rq, in)
		if len(errs) > 0 {
			return reply{http.StatusBadRequest, errs}
		}
		data := res.rest(id)
		s.event(rq, res, "created", id, data, nil, res.snapshot(id))
		return reply{http.StatusCreated, data}
	}
}

func (s *Server) updateHandler(res resource, partial bool) func(*request) reply {
	return func(rq *request) reply {
		id, ok := pathID(rq)
		in, bad := decodeBody(rq.r)
		s.mu.Lock()
		defer s.mu.Unlock()
		if !ok || !slices.Contains(res.ids(), id) {
			return notFound()
		}
		if bad != nil {
			return *bad
		}
		pre := res.snapshot(id)
		if errs := res.update(rq, id, in, partial); len(errs) > 0 {
			return reply{http.StatusBadRequest, errs}
		}
		data := res.rest(id)
		s.event(rq, res, "updated", id, data, pre, res.snapshot(id))
		return reply{http.StatusOK, data}
	}
}

func (s *Server) deleteHandler(res resource) func(*request) reply {
	return func(rq *request) reply {
		id, ok := pathID(rq)
		s.mu.Lock()
		defer s.mu.Unlock()
		if !ok || !slices.Contains(res.ids(), id) {
			return notFound()
		}
		data, pre := res.rest(id), res.snapshot(id)
		if refused := res.remove(rq, id); refused != nil {
			return *refused
		}
		s.event(rq, res, "deleted", id, data, pre, nil)
		return reply{http.StatusNoContent, nil}
	}
}

// sortedIDs returns the keys of a table in ascending order.
func sortedIDs[T any](m map[int64]*T) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func objURL(base string, id int64) string { return base + strconv.FormatInt(id, 10) + "/" }
