package leader

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is a Kubernetes API server that holds one Lease and implements
// GET, POST and PUT of it with the real resourceVersion semantics: 404 when
// absent, 409 on a create of an existing Lease or an update with a stale
// resourceVersion, 401 without an accepted bearer token, 422 on a malformed
// MicroTime. A token can be made to fail (503) to cut one elector off.
type fakeAPI struct {
	ns, name string
	srv      *httptest.Server

	mu       sync.Mutex
	obj      map[string]any // nil: absent
	rv       int
	tokens   map[string]bool
	failing  map[string]bool
	seen     map[string]int // requests per accepted token
	rejected int            // 401s
	writes   []write
	echo     bool // put the presented token into 401 messages
}

type write struct {
	holder      string
	transitions int
	at          time.Time
}

var microRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$`)

func newFakeAPI(t *testing.T, ns, name string) *fakeAPI {
	t.Helper()
	f := &fakeAPI{ns: ns, name: name, tokens: map[string]bool{}, failing: map[string]bool{}, seen: map[string]int{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) accept(tok string) { f.mu.Lock(); f.tokens[tok] = true; f.mu.Unlock() }
func (f *fakeAPI) revoke(tok string) { f.mu.Lock(); delete(f.tokens, tok); f.mu.Unlock() }
func (f *fakeAPI) fail(tok string, on bool) {
	f.mu.Lock()
	f.failing[tok] = on
	f.mu.Unlock()
}

func (f *fakeAPI) holder() (string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.obj == nil {
		return "", 0
	}
	spec, _ := f.obj["spec"].(map[string]any)
	h, _ := spec["holderIdentity"].(string)
	tr, _ := spec["leaseTransitions"].(float64)
	return h, int(tr)
}

func (f *fakeAPI) status(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "message": msg, "code": code})
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !f.tokens[tok] {
		f.rejected++
		msg := "Unauthorized"
		if f.echo {
			msg = "token " + tok + " is not valid"
		}
		f.status(w, http.StatusUnauthorized, "Unauthorized", msg)
		return
	}
	if f.failing[tok] {
		f.status(w, http.StatusServiceUnavailable, "ServiceUnavailable", "injected failure")
		return
	}
	f.seen[tok]++
	coll := "/apis/coordination.k8s.io/v1/namespaces/" + f.ns + "/leases"
	item := coll + "/" + f.name
	switch {
	case r.Method == http.MethodGet && r.URL.Path == item:
		if f.obj == nil {
			f.status(w, http.StatusNotFound, "NotFound", `leases.coordination.k8s.io "`+f.name+`" not found`)
			return
		}
		f.reply(w, http.StatusOK)
	case r.Method == http.MethodPost && r.URL.Path == coll:
		obj, ok := f.decode(w, r)
		if !ok {
			return
		}
		if f.obj != nil {
			f.status(w, http.StatusConflict, "AlreadyExists", "already exists")
			return
		}
		f.store(obj)
		f.reply(w, http.StatusCreated)
	case r.Method == http.MethodPut && r.URL.Path == item:
		obj, ok := f.decode(w, r)
		if !ok {
			return
		}
		if f.obj == nil {
			f.status(w, http.StatusNotFound, "NotFound", "not found")
			return
		}
		md, _ := obj["metadata"].(map[string]any)
		if rv, _ := md["resourceVersion"].(string); rv != strconv.Itoa(f.rv) {
			f.status(w, http.StatusConflict, "Conflict", "the object has been modified; please apply your changes to the latest version and try again")
			return
		}
		f.store(obj)
		f.reply(w, http.StatusOK)
	default:
		f.status(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" "+r.URL.Path)
	}
}

func (f *fakeAPI) decode(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var obj map[string]any
	if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&obj) != nil {
		f.status(w, http.StatusBadRequest, "BadRequest", "not a JSON object")
		return nil, false
	}
	md, _ := obj["metadata"].(map[string]any)
	spec, _ := obj["spec"].(map[string]any)
	if obj["kind"] != "Lease" || obj["apiVersion"] != "coordination.k8s.io/v1" || md["name"] != f.name || spec == nil {
		f.status(w, http.StatusUnprocessableEntity, "Invalid", "not this Lease")
		return nil, false
	}
	for _, k := range []string{"acquireTime", "renewTime"} {
		if v, ok := spec[k]; ok {
			s, _ := v.(string)
			if !microRE.MatchString(s) {
				f.status(w, http.StatusUnprocessableEntity, "Invalid", k+" is not a MicroTime")
				return nil, false
			}
		}
	}
	if d, _ := spec["leaseDurationSeconds"].(float64); d <= 0 {
		f.status(w, http.StatusUnprocessableEntity, "Invalid", "leaseDurationSeconds must be positive")
		return nil, false
	}
	return obj, true
}

func (f *fakeAPI) store(obj map[string]any) {
	f.rv++
	md := obj["metadata"].(map[string]any)
	md["resourceVersion"] = strconv.Itoa(f.rv)
	md["namespace"] = f.ns
	if _, ok := md["uid"]; !ok {
		md["uid"] = "fake-uid"
	}
	f.obj = obj
	spec := obj["spec"].(map[string]any)
	h, _ := spec["holderIdentity"].(string)
	tr, _ := spec["leaseTransitions"].(float64)
	f.writes = append(f.writes, write{holder: h, transitions: int(tr), at: time.Now()})
}

func (f *fakeAPI) reply(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(f.obj)
}

// config writes the fake's CA and a token file into a temporary directory.
func (f *fakeAPI) config(t *testing.T, token string) *Config {
	t.Helper()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	pemCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemCA, 0o600); err != nil {
		t.Fatal(err)
	}
	tf := filepath.Join(dir, "token")
	if err := os.WriteFile(tf, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &Config{Host: f.srv.URL, TokenFile: tf, CAFile: ca, Namespace: f.ns}
}

// leadLog records who led when, and the most that ever led at once.
type leadLog struct {
	mu        sync.Mutex
	active    int
	maxActive int
	spans     []span
}

type span struct {
	who        string
	start, end time.Time // end zero: still leading
}

func (l *leadLog) lead(who string) func(ctx context.Context) {
	return func(ctx context.Context) {
		l.mu.Lock()
		l.active++
		l.maxActive = max(l.maxActive, l.active)
		l.spans = append(l.spans, span{who: who, start: time.Now()})
		i := len(l.spans) - 1
		l.mu.Unlock()
		<-ctx.Done()
		l.mu.Lock()
		l.active--
		l.spans[i].end = time.Now()
		l.mu.Unlock()
	}
}

func (l *leadLog) snapshot() ([]span, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]span(nil), l.spans...), l.maxActive
}

func (l *leadLog) String() string {
	spans, _ := l.snapshot()
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "%s %s..%s; ", s.who, s.start.Format("05.000"), s.end.Format("05.000"))
	}
	return b.String()
}
