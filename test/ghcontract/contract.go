// Package ghcontract holds the GitHub side to GitHub's own description: it
// wraps an HTTP handler (the GitHub emulator) and validates every request
// a client sends and every answer the handler gives against GitHub's REST
// description (testdata/github-openapi, the operations the project uses),
// with kin-openapi. The known gaps of GitHub's description are allowed, by
// name and each with its reason; every other mismatch is a finding.
//
// Test support only.
package ghcontract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// DescriptionFile is GitHub's REST description, cut to the operations the
// project calls or the emulator serves (testdata/README.md).
const DescriptionFile = "testdata/github-openapi/github-rest-trimmed.json"

// Finding is one exchange that does not match the description.
type Finding struct {
	Op      string // operationId
	Dir     string // "request" or "response"
	Status  int
	Message string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s %d: %s", f.Op, f.Dir, f.Status, f.Message)
}

// Contract validates exchanges and keeps count. Safe for concurrent use.
type Contract struct {
	doc    *openapi3.T
	routes []route

	mu        sync.Mutex
	idle      *sync.Cond // signalled when inFlight drops to 0
	inFlight  int        // checks under way
	exchanges int
	allowed   map[string]int // gap name -> exchanges it let through
	ops       map[string]int // "METHOD /path" of the description -> exchanges
	findings  []Finding
}

type route struct {
	re     *regexp.Regexp
	names  []string
	method string
	r      routers.Route
}

// Load reads the description from the module root.
func Load(moduleRoot string) (*Contract, error) {
	data, err := os.ReadFile(filepath.Join(moduleRoot, DescriptionFile))
	if err != nil {
		return nil, fmt.Errorf("ghcontract: GitHub's description: %w", err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("ghcontract: load: %w", err)
	}
	// GitHub's own example of nullable-git-user.date breaks its format.
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("ghcontract: the description: %w", err)
	}
	c := &Contract{doc: doc, allowed: map[string]int{}, ops: map[string]int{}}
	c.idle = sync.NewCond(&c.mu)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			re, names := pathPattern(path)
			c.routes = append(c.routes, route{re: re, names: names, method: method,
				r: routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}})
		}
	}
	// Literal paths before templated ones ({ref} would take "refs").
	sort.Slice(c.routes, func(i, j int) bool { return len(c.routes[i].names) < len(c.routes[j].names) })
	return c, nil
}

// slashParams may hold slashes, as GitHub's routes allow.
var slashParams = map[string]bool{"ref": true, "path": true, "basehead": true, "tree_sha": true}

func pathPattern(tmpl string) (*regexp.Regexp, []string) {
	var names []string
	var b strings.Builder
	b.WriteString("^")
	rest := tmpl
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(regexp.QuoteMeta(rest))
			break
		}
		j := strings.IndexByte(rest[i:], '}') + i
		b.WriteString(regexp.QuoteMeta(rest[:i]))
		name := rest[i+1 : j]
		names = append(names, name)
		if slashParams[name] {
			b.WriteString(`(.+)`)
		} else {
			b.WriteString(`([^/]+)`)
		}
		rest = rest[j+1:]
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()), names
}

func (c *Contract) find(r *http.Request) (*routers.Route, map[string]string) {
	// GitHub Enterprise Server serves the same API under /api/v3.
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	for i := range c.routes {
		rt := &c.routes[i]
		if rt.method != r.Method {
			continue
		}
		m := rt.re.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		params := map[string]string{}
		for j, n := range rt.names {
			params[n] = m[j+1]
		}
		return &rt.r, params
	}
	return nil, nil
}

// Wrap validates every exchange through next. The answer goes to the
// client first, whole (with its Content-Length), and is validated after,
// so that the check adds no latency to what a test times; the counts and
// findings wait for the checks under way.
func (c *Contract) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if r.Context().Err() != nil {
			return // the client gave up (a hang it timed out on): it saw no answer
		}
		// Counted before the client can see the answer, so that a
		// Findings after it waits for this check.
		c.started()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(rec.Body.Len()))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		req := r.Clone(context.Background())
		go func() {
			defer c.finished()
			c.check(req, body, rec)
		}()
	})
}

func (c *Contract) check(r *http.Request, body []byte, rec *httptest.ResponseRecorder) {
	rt, params := c.find(r)
	if rt == nil {
		if strings.HasPrefix(r.URL.Path, "/_sim/") {
			return // the emulator's own control endpoints
		}
		c.add(Finding{Op: r.Method + " " + r.URL.Path, Dir: "request", Message: "no operation of GitHub's description"})
		return
	}
	op := rt.Operation.OperationID
	c.seen(rt)
	req := r
	req.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: rt,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		c.add(Finding{Op: op, Dir: "request", Message: oneLine(err.Error())})
	}
	if gap := knownGap(rt, r, rec.Code, rec.Header(), rec.Body.Bytes()); gap != "" {
		c.allow(gap)
		return
	}
	err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Body:    io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	c.mu.Lock()
	c.exchanges++
	c.mu.Unlock()
	if err != nil {
		c.add(Finding{Op: op, Dir: "response", Status: rec.Code, Message: oneLine(err.Error())})
	}
}

// knownGap names the gap of GitHub's description an answer falls in, ""
// when none does. The list is closed: these and no others.
func knownGap(rt *routers.Route, r *http.Request, status int, header http.Header, body []byte) string {
	switch {
	case rt.Operation.OperationID == "git/get-blob" && strings.Contains(r.Header.Get("Accept"), "raw"):
		// The project asks for the raw blob; the description lists only JSON.
		return "raw blob media type"
	case status == http.StatusUnauthorized, status == http.StatusTooManyRequests, status >= 500:
		// GitHub sends them on every operation; most list none.
		return fmt.Sprintf("undocumented %d", status)
	case status == http.StatusForbidden && rateLimited(header, body) && rt.Operation.Responses.Status(http.StatusForbidden) == nil:
		// A primary or secondary rate limit: GitHub answers 403 on any
		// operation.
		return "undocumented rate-limit 403"
	case rt.Operation.OperationID == "repos/create-or-update-file-contents" && status == http.StatusConflict:
		// A oneOf that a plain error body matches twice.
		return "PUT contents 409 oneOf"
	}
	return ""
}

// rateLimited tells a rate-limit 403 by what GitHub sends with one: no
// requests left, a Retry-After, or its secondary-limit message.
func rateLimited(h http.Header, body []byte) bool {
	return h.Get("X-Ratelimit-Remaining") == "0" || h.Get("Retry-After") != "" ||
		bytes.Contains(bytes.ToLower(body), []byte("rate limit"))
}

func (c *Contract) started() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight++
}

func (c *Contract) finished() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inFlight--; c.inFlight == 0 {
		c.idle.Broadcast()
	}
}

// settle waits, with c.mu held, until no check is under way.
func (c *Contract) settle() {
	for c.inFlight > 0 {
		c.idle.Wait()
	}
}

func (c *Contract) seen(rt *routers.Route) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops[strings.ToUpper(rt.Method)+" "+rt.Path]++
}

func (c *Contract) add(f Finding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.findings = append(c.findings, f)
}

func (c *Contract) allow(gap string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.allowed[gap]++
	c.exchanges++
}

// Exchanges is how many exchanges were validated (the allowed gaps
// included).
func (c *Contract) Exchanges() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle()
	return c.exchanges
}

// Findings are the exchanges that did not match.
func (c *Contract) Findings() []Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle()
	return append([]Finding(nil), c.findings...)
}

// Allowed counts the exchanges each known gap let through.
func (c *Contract) Allowed() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle()
	out := make(map[string]int, len(c.allowed))
	for k, v := range c.allowed {
		out[k] = v
	}
	return out
}

// Operations counts the exchanges by operation of the description, as
// "METHOD /path" with GitHub's parameter names.
func (c *Contract) Operations() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle()
	out := make(map[string]int, len(c.ops))
	for k, v := range c.ops {
		out[k] = v
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
