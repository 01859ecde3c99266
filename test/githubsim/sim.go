package githubsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Options configures the emulator.
type Options struct {
	// Dir holds the bare repositories, as <Dir>/<owner>/<name>.git.
	Dir string
	// Wrap, when set, wraps the emulator's handler, e.g. with a contract
	// check of every exchange against GitHub's description.
	Wrap func(http.Handler) http.Handler
	// Token is the one valid token. Empty: no authentication at all.
	Token string
	// ReadOnlyTokens may read but get 403 on writes.
	ReadOnlyTokens []string
	// TruncateAbove makes recursive tree listings with more entries than
	// this answer truncated: true (0: 100,000 like GitHub).
	TruncateAbove int
	// CompareMaxFiles caps the files a comparison lists, like GitHub's
	// 300 (0: 300).
	CompareMaxFiles int
	// RateLimit is the primary budget per hour (0: 5,000).
	RateLimit int
	// WebURL is the base of html_url values (default https://github.com).
	WebURL string
	// WriterWindow is how long an unfinished write sequence (POST trees
	// without its ref update) counts as in flight (0: 30s).
	WriterWindow time.Duration
	// Faults to inject from the start.
	Faults Faults
	// Now is the clock (default time.Now).
	Now func() time.Time
	// App, when set, emulates one GitHub App (see AppOptions); its
	// installation tokens are accepted besides Token.
	App *AppOptions
	// PushWebhook, when set, delivers a signed push webhook after every
	// branch or tag move: the API's writes (the service's own commits
	// too) and SeedFiles.
	PushWebhook *PushWebhook
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	mux     *http.ServeMux
	closing chan struct{}
	closeMu sync.Once

	mu     sync.Mutex // guards everything below
	repos  map[string]*repo
	stats  Stats
	faults Faults
	window []time.Time // write times for the secondary limit
	used   int
	hour   time.Time
	writes map[string]map[string]writeSeq // repo → tree SHA of an open write sequence
	nextPR int
	// appTokens are the installation tokens issued in App mode.
	appTokens map[string]installToken
	// verified are the commits GitHub would show as Verified.
	verified map[string]bool
	// hooks are the push webhook deliveries, sent in order by one goroutine.
	hooks *hookQueue

	srv *http.Server
	ln  net.Listener
}

// repo is one emulated repository.
type repo struct {
	mu        sync.Mutex // serialises git access
	owner     string
	name      string
	private   bool
	dir       string
	git       *gitRepo
	protected map[string]bool
	pulls     []*pull
	hooks     []*repoHook
}

type pull struct {
	Number int
	Title  string
	Body   string
	Head   string
	Base   string
	State  string
}

// Stats is what the emulator served. Requests maps "METHOD /route" to a
// count, with the routes of githubapi.Route.
type Stats struct {
	Requests      map[string]int `json:"requests"`
	Writes        int            `json:"writes"`
	Commits       int            `json:"commits"`
	RefUpdates    int            `json:"ref_updates"`
	ForceUpdates  int            `json:"force_updates"`
	EmptyCommits  int            `json:"empty_commits"`
	PullRequests  int            `json:"pull_requests"`
	OtherCommits  int            `json:"concurrent_writer_commits"`
	MaxWriters    int            `json:"max_concurrent_writers_per_branch"`
	OpenWriters   int            `json:"open_write_sequences"` // now, over all repositories
	FaultsApplied map[string]int `json:"faults_injected"`
	// InstallationTokens is how many installation access tokens App mode
	// issued.
	InstallationTokens int `json:"installation_tokens,omitempty"`
}

// Reads is the number of GET requests.
func (s Stats) Reads() int {
	n := 0
	for k, v := range s.Requests {
		if strings.HasPrefix(k, "GET ") {
			n += v
		}
	}
	return n
}

// Total is the number of API requests.
func (s Stats) Total() int {
	n := 0
	for _, v := range s.Requests {
		n += v
	}
	return n
}

// New creates the emulator; Options.Dir must be writable.
func New(o Options) (*Server, error) {
	if o.Dir == "" {
		return nil, errors.New("githubsim: Options.Dir is required")
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("githubsim: %w", err)
	}
	if o.TruncateAbove <= 0 {
		o.TruncateAbove = 100000
	}
	if o.RateLimit <= 0 {
		o.RateLimit = 5000
	}
	if o.CompareMaxFiles <= 0 {
		o.CompareMaxFiles = 300
	}
	if o.WebURL == "" {
		o.WebURL = "https://github.com"
	}
	o.WebURL = strings.TrimSuffix(o.WebURL, "/")
	if o.WriterWindow <= 0 {
		o.WriterWindow = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{
		opts:    o,
		closing: make(chan struct{}),
		repos:   map[string]*repo{},
		faults:  o.Faults,
		writes:  map[string]map[string]writeSeq{},
	}
	s.stats = newStats()
	s.routes()
	s.hooks = newHookQueue(&s.opts, s.closing)
	return s, nil
}

func newStats() Stats {
	return Stats{Requests: map[string]int{}, FaultsApplied: map[string]int{}}
}

// Handler serves the API (also under /api/v3 like GitHub Enterprise) and the
// admin endpoints under /_sim/.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Start serves on a random loopback port.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("githubsim: listen: %w", err)
	}
	return s.Serve(ln)
}

// Serve serves on ln in the background until Close.
func (s *Server) Serve(ln net.Listener) error {
	s.ln = ln
	h := s.Handler()
	if s.opts.Wrap != nil {
		h = s.opts.Wrap(h)
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(c net.Conn, st http.ConnState) {
			if st == http.StateClosed || st == http.StateHijacked {
				s.connClosed(c.RemoteAddr().String())
			}
		}}
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// URL is the base URL of a started server, without a trailing slash.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close releases hung requests and stops the server.
func (s *Server) Close() error {
	s.closeMu.Do(func() { close(s.closing) })
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

func key(owner, name string) string { return strings.ToLower(owner + "/" + name) }

// CreateRepo creates an empty repository (no commit) whose HEAD names
// defaultBranch, and returns its bare directory.
func (s *Server) CreateRepo(owner, name string, private bool, defaultBranch string) (string, error) {
	if defaultBranch == "" {
		defaultBranch = "main"
	}
	if !validName(owner) || !validName(name) {
		return "", fmt.Errorf("githubsim: bad repository name %q/%q", owner, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.repos[key(owner, name)]; ok {
		return "", fmt.Errorf("githubsim: repository %s/%s exists", owner, name)
	}
	dir := filepath.Join(s.opts.Dir, owner, name+".git")
	r, err := git.PlainInit(dir, true)
	if err != nil {
		return "", fmt.Errorf("githubsim: init %s: %w", dir, err)
	}
	head := plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(defaultBranch))
	if err := r.Storer.SetReference(head); err != nil {
		return "", fmt.Errorf("githubsim: set HEAD: %w", err)
	}
	rp := &repo{
		owner: owner, name: name, private: private, dir: dir,
		git: &gitRepo{r: r, st: r.Storer}, protected: map[string]bool{},
	}
	rp.git.moved = func(ref plumbing.ReferenceName, before, after plumbing.Hash) { s.pushed(rp, ref, before, after) }
	s.repos[key(owner, name)] = rp
	return dir, nil
}

func validName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

func (s *Server) repo(owner, name string) *repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repos[key(owner, name)]
}

// SeedFiles commits files (a nil value deletes the path) onto branch, as
// a person would push them, creating the branch when needed. It does not
// count as API traffic.
func (s *Server) SeedFiles(owner, name, branch string, files map[string][]byte, message string) (string, error) {
	r := s.repo(owner, name)
	if r == nil {
		return "", fmt.Errorf("githubsim: no repository %s/%s", owner, name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	h, err := r.commitFiles(branch, files, message, signature("Seeder", "seeder@example.com", s.opts.Now()))
	if err != nil {
		return "", fmt.Errorf("githubsim: seed %s/%s: %w", owner, name, err)
	}
	return h.String(), nil
}

// commitFiles commits files on top of branch (or as a root commit) and moves
// the branch. The caller holds r.mu.
func (r *repo) commitFiles(branch string, files map[string][]byte, message string, sig object.Signature) (plumbing.Hash, error) {
	refName := plumbing.NewBranchReferenceName(branch)
	head, err := r.git.ref(refName)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	base := plumbing.ZeroHash
	var parents []plumbing.Hash
	if !head.IsZero() {
		c, err := r.git.commit(head)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		base, parents = c.TreeHash, []plumbing.Hash{head}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var changes []treeChange
	for _, p := range paths {
		if files[p] == nil {
			changes = append(changes, treeChange{path: p, del: true})
			continue
		}
		h, err := r.git.writeBlob(files[p])
		if err != nil {
			return plumbing.ZeroHash, err
		}
		changes = append(changes, treeChange{path: p, mode: filemode.Regular, hash: h})
	}
	tree, empty, err := r.git.buildTree(base, changes)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if empty {
		if tree, err = r.git.emptyTree(); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	c, err := r.git.writeCommit(tree, parents, message, sig, sig)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return c, r.git.setRef(refName, c)
}

// Protect makes branch refuse ref updates and contents writes, like a
// branch protection rule.
func (s *Server) Protect(owner, name, branch string) error {
	r := s.repo(owner, name)
	if r == nil {
		return fmt.Errorf("githubsim: no repository %s/%s", owner, name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.protected[branch] = true
	return nil
}

// Head returns the commit a branch points at, "" when it does not exist.
func (s *Server) Head(owner, name, branch string) (string, error) {
	r := s.repo(owner, name)
	if r == nil {
		return "", fmt.Errorf("githubsim: no repository %s/%s", owner, name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	h, err := r.git.ref(plumbing.NewBranchReferenceName(branch))
	if err != nil || h.IsZero() {
		return "", err
	}
	return h.String(), nil
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	for _, open := range s.writes {
		out.OpenWriters += len(open)
	}
	out.Requests = make(map[string]int, len(s.stats.Requests))
	for k, v := range s.stats.Requests {
		out.Requests[k] = v
	}
	out.FaultsApplied = make(map[string]int, len(s.stats.FaultsApplied))
	for k, v := range s.stats.FaultsApplied {
		out.FaultsApplied[k] = v
	}
	return out
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = newStats()
}

// SetFaults replaces the faults to inject.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Faults returns the faults still to inject.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

// A write sequence opens at POST trees (keyed by the tree SHA) and closes
// when a ref update (successful or not) names a commit of that tree, or
// when the client's connection closes (a killed or timed-out client), or
// after WriterWindow. The number of open sequences of a repository
// approximates its concurrent writers; the emulator does not know the branch
// before the ref update, so it counts per repository, which is stricter.
type writeSeq struct {
	start time.Time
	addr  string
}

func (s *Server) writeStarted(repoKey, tree, addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	open := s.writes[repoKey]
	if open == nil {
		open = map[string]writeSeq{}
		s.writes[repoKey] = open
	}
	for k, w := range open {
		if now.Sub(w.start) > s.opts.WriterWindow {
			delete(open, k)
		}
	}
	open[tree] = writeSeq{start: now, addr: addr}
	if n := len(open); n > s.stats.MaxWriters {
		s.stats.MaxWriters = n
	}
}

func (s *Server) writeDone(repoKey, tree string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.writes[repoKey], tree)
}

// connClosed forgets the write sequences a closed connection left open.
func (s *Server) connClosed(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, open := range s.writes {
		for k, w := range open {
			if w.addr == addr {
				delete(open, k)
			}
		}
	}
}

// ghError is GitHub's error body.
type ghError struct {
	Message          string `json:"message"`
	DocumentationURL string `json:"documentation_url"`
	Status           string `json:"status,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, ghError{Message: msg, DocumentationURL: "https://docs.github.com/rest", Status: strconv.Itoa(code)})
}
