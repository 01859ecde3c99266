package netboxsim

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultVersion is the NetBox version emulated when Options.Version is
// empty.
const DefaultVersion = "4.2"

// pythonVersion is what 500 answers report, like NetBox's error handler.
const pythonVersion = "3.12.3"

// shutdownGrace bounds how long Close waits for in-flight requests.
const shutdownGrace = 2 * time.Second

// Options configures a Server. The zero value plus a Token is a NetBox 4.2
// with one RQ worker.
type Options struct {
	// Version is the emulated NetBox version ("4.0" ... "4.7", or with a
	// patch level "4.2.2"). It chooses the webhook body form, the event-rule
	// fields and the datetime rules, and is reported by /api/status/.
	Version string
	// Token is the API token; "Token <t>" and "Bearer <t>" are accepted.
	// Required.
	Token string
	// Username is the user the token belongs to (default "admin"); it is the
	// username / request.user of the webhooks.
	Username string
	// RQWorkers is reported as rq-workers-running and is the number of
	// webhook delivery workers (default 1). Negative means none: reported
	// as 0, and webhooks stay queued forever, as in a NetBox without workers.
	RQWorkers int
	// NestedForeignKeys serializes a fabric's git_repository as a nested
	// {id, url, display, name} instead of a plain integer id.
	NestedForeignKeys bool
	// PlainSelectValues reads select custom fields back as plain values
	// instead of {"value", "label"}.
	PlainSelectValues bool
	// FabricsPrefix and ReposPrefix are the plugin's router prefixes under
	// /api/plugins/hedgehog/ (defaults "fabrics" and "git-repos-api").
	FabricsPrefix string
	ReposPrefix   string
	// HNPBlankJSONFields behaves like HNP 705549aa without the blank=True
	// patch (docs/real-netbox.md, hypotheses 1 and 2): NetBox full_cleans
	// the whole fabric on every API create and update, and the fabric's
	// JSON fields scheduler_metadata, active_sync_tasks and watch_crd_types
	// hold their empty defaults, so every such write is refused with 400
	// "This field cannot be blank." on each of them.
	HNPBlankJSONFields bool
	// HNPQuirks behaves like HNP 705549aa's API where the real plugin was
	// seen to differ from a plain NetBox model (docs/real-netbox.md):
	//   - a git repository GET without ?fields= never answers (HNP's
	//     serializer saves the repository in a loop): it hangs until the
	//     client gives up or HangMax passes (then 504);
	//   - a git repository is visible only to its creator
	//     (Repository.CreatedBy; "" is the token's user): 404 for others;
	//   - the fabric list ignores every filter;
	//   - a fabric's archive_strategy is forced to rename_with_extension;
	//   - select values (the fabric's status, select custom fields) are
	//     plain strings (it implies PlainSelectValues).
	HNPQuirks bool
	// Listen is the address to listen on (default 127.0.0.1:0).
	Listen string
	// Faults is the initial fault configuration; see SetFaults.
	Faults Faults
	// HTTPClient delivers webhooks (default: a client without timeout; the
	// delivery itself is bounded like NetBox's job: 300s, 60s on 4.7+).
	HTTPClient *http.Client
	// OnDelivery, when set, is called by the delivering worker after each
	// webhook job (sent, failed or dropped); it must not block for long.
	OnDelivery func(Delivery)
}

// RevokeToken makes the API token invalid from now on, as deleting it in
// NetBox does: every request then gets 403 "Invalid token", as NetBox 4.3
// answers (not 401).
func (s *Server) RevokeToken() {
	s.revoked.Store(true)
}

// ErrNoToken is returned by Start when Options.Token is empty.
var ErrNoToken = errors.New("netboxsim: an API token is required")

// Server is a running NetBox emulator.
type Server struct {
	opts    Options
	ver     version
	url     string
	ln      net.Listener
	srv     *http.Server
	handler http.Handler
	faults  *injector
	fabPath string
	repPath string

	ctx    context.Context // cancelled by Close: ends hangs and deliveries
	cancel context.CancelFunc
	wg     sync.WaitGroup

	own *http.Transport // the delivery transport when Options.HTTPClient is nil

	closeOnce sync.Once
	closeErr  error

	revoked atomic.Bool // RevokeToken was called

	mu    sync.Mutex // guards the data below
	data  *store
	stats statsCounters

	q queue

	dmu        sync.Mutex
	deliveries []Delivery
	dnotify    chan struct{}
}

// Start listens and serves until Close.
func Start(o Options) (*Server, error) {
	if o.Token == "" {
		return nil, ErrNoToken
	}
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	v, err := parseVersion(o.Version)
	if err != nil {
		return nil, err
	}
	if o.Username == "" {
		o.Username = "admin"
	}
	if o.HNPQuirks {
		o.PlainSelectValues = true
	}
	if o.RQWorkers == 0 {
		o.RQWorkers = 1
	}
	if o.FabricsPrefix == "" {
		o.FabricsPrefix = "fabrics"
	}
	if o.ReposPrefix == "" {
		o.ReposPrefix = "git-repos-api"
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	var ownTransport *http.Transport
	if o.HTTPClient == nil {
		ownTransport = http.DefaultTransport.(*http.Transport).Clone()
		o.HTTPClient = &http.Client{Transport: ownTransport}
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("netboxsim: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:    o,
		ver:     v,
		url:     "http://" + ln.Addr().String(),
		faults:  newInjector(o.Faults),
		fabPath: "/api/plugins/hedgehog/" + strings.Trim(o.FabricsPrefix, "/") + "/",
		repPath: "/api/plugins/hedgehog/" + strings.Trim(o.ReposPrefix, "/") + "/",
		ctx:     ctx,
		cancel:  cancel,
		own:     ownTransport,
		data:    newStore(),
		dnotify: make(chan struct{}),
	}
	s.stats.init()
	s.q.cond = sync.NewCond(&s.q.mu)
	s.ln = ln
	s.handler = s.routes()
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(s.ln)
	}()
	for range max(o.RQWorkers, 0) {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.worker()
		}()
	}
	return s, nil
}

// URL is the base URL, e.g. http://127.0.0.1:41234 (no trailing slash).
func (s *Server) URL() string { return s.url }

// Version is the emulated NetBox version as reported by /api/status/.
func (s *Server) Version() string { return s.ver.String() }

// Close stops serving, abandons queued webhooks (counted as dropped) and
// in-flight deliveries, and waits for every goroutine it started.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	s.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	s.q.close()
	s.wg.Wait()
	if s.own != nil {
		s.own.CloseIdleConnections()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = nil
	}
	return err
}

// SetFaults replaces the fault configuration (and reseeds the random
// source). It is safe to call while requests are being served.
func (s *Server) SetFaults(f Faults) { s.faults.set(f) }

// Faults returns the live fault configuration, with counts as consumed.
func (s *Server) Faults() Faults { return s.faults.get() }

// SetDown switches the down fault without touching the other faults.
func (s *Server) SetDown(down bool) { s.faults.update(func(f *Faults) { f.Down = down }) }

// version is a NetBox major.minor(.patch).
type version struct{ major, minor, patch int }

func parseVersion(s string) (version, error) {
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return version{}, fmt.Errorf("netboxsim: version %q: want MAJOR.MINOR[.PATCH]", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return version{}, fmt.Errorf("netboxsim: version %q: want MAJOR.MINOR[.PATCH]", s)
		}
		n[i] = v
	}
	v := version{n[0], n[1], n[2]}
	if v.major != 4 {
		return version{}, fmt.Errorf("netboxsim: version %q: only NetBox 4.x is emulated", s)
	}
	return v, nil
}

func (v version) String() string { return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch) }

// atLeast reports whether v is 4.minor or later.
func (v version) atLeast(minor int) bool { return v.minor >= minor }

// newRequestID returns a random (version 4) UUID, like Django's uuid4().
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
