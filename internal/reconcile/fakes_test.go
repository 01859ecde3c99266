package reconcile

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/netbox"
	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// fakeNetBox stores fabrics and repositories and records every status
// write, like NetBox: a PATCH merges custom fields, a select field reads
// back as {"value","label"}, and every write gets a new request id.
type fakeNetBox struct {
	mu       sync.Mutex
	fabrics  map[int64]*netbox.Fabric
	repos    map[int64]*netbox.GitRepository
	gets     map[int64]int     // GetFabric calls per id
	getErrs  map[int64][]error // errors GetFabric returns first, per id
	patchErr []error           // errors UpdateFabricCustomFields returns first
	patches  []patch
	lists    int
	nextReq  int
	// listGate, when set, is received from before each ListFabrics answers.
	listGate chan struct{}
	listed   []int64 // the repositoryID of every Fabrics call
	repoGets int     // Repository calls
	listErr  []error // errors ListFabrics returns first
	// repoLists counts Repositories calls, which fail first with
	// repoListErr.
	repoLists   int
	repoListErr []error
}

type patch struct {
	ID        int64
	Fields    map[string]any
	RequestID string
}

func newFakeNetBox() *fakeNetBox {
	return &fakeNetBox{
		fabrics: map[int64]*netbox.Fabric{},
		repos:   map[int64]*netbox.GitRepository{},
		gets:    map[int64]int{},
		getErrs: map[int64][]error{},
	}
}

func (n *fakeNetBox) addRepo(id int64, rawURL string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.repos[id] = &netbox.GitRepository{ID: id, Name: fmt.Sprintf("repo-%d", id), URL: rawURL, DefaultBranch: "main"}
}

func (n *fakeNetBox) addFabric(id, repoID int64, dir string, st status.Status) {
	n.mu.Lock()
	defer n.mu.Unlock()
	cf := map[string]any{}
	if st != "" {
		cf[status.FieldStatus] = map[string]any{"value": string(st), "label": status.Labels[st]}
	}
	n.fabrics[id] = &netbox.Fabric{ID: id, Name: fmt.Sprintf("fabric-%d", id), GitRepositoryID: repoID, GitOpsDirectory: dir, CustomFields: cf}
}

// setField changes a custom field as a user would (no request id of ours).
func (n *fakeNetBox) setField(id int64, name, value string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.fabrics[id].CustomFields[name] = value
}

func cloneFabric(f *netbox.Fabric) *netbox.Fabric {
	c := *f
	c.CustomFields = map[string]any{}
	for k, v := range f.CustomFields {
		c.CustomFields[k] = v
	}
	return &c
}

func (n *fakeNetBox) Fabric(_ context.Context, id int64) (fabric.Fabric, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.gets[id]++
	if errs := n.getErrs[id]; len(errs) > 0 {
		n.getErrs[id] = errs[1:]
		return fabric.Fabric{}, errs[0]
	}
	f, ok := n.fabrics[id]
	if !ok {
		return fabric.Fabric{}, &netbox.APIError{Method: "GET", Path: "/api/plugins/hedgehog/fabrics/x/", StatusCode: 404, Detail: "No HedgehogFabric matches the given query."}
	}
	return cloneFabric(f).Core(), nil
}

func (n *fakeNetBox) Repository(_ context.Context, id int64) (fabric.Repository, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.repoGets++
	r, ok := n.repos[id]
	if !ok {
		return fabric.Repository{}, &netbox.APIError{Method: "GET", Path: "/api/plugins/hedgehog/git-repos-api/x/", StatusCode: 404}
	}
	return fabric.Repository{ID: r.ID, Name: r.Name, URL: r.URL, Branch: r.Branch()}, nil
}

func (n *fakeNetBox) Repositories(context.Context) ([]fabric.Repository, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.repoLists++
	if len(n.repoListErr) > 0 {
		err := n.repoListErr[0]
		n.repoListErr = n.repoListErr[1:]
		return nil, err
	}
	out := make([]fabric.Repository, 0, len(n.repos))
	for _, r := range n.repos {
		out = append(out, fabric.Repository{ID: r.ID, Name: r.Name, URL: r.URL, Branch: r.Branch()})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, nil
}

func (n *fakeNetBox) WriteStatus(_ context.Context, id int64, fields map[string]string) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.patchErr) > 0 {
		err := n.patchErr[0]
		n.patchErr = n.patchErr[1:]
		return "", err
	}
	f, ok := n.fabrics[id]
	if !ok {
		return "", &netbox.APIError{Method: "PATCH", StatusCode: 404}
	}
	n.nextReq++
	req := fmt.Sprintf("req-%d", n.nextReq)
	copied := map[string]any{}
	for k, v := range fields {
		copied[k] = v
		if k == status.FieldStatus {
			s := status.Status(v)
			f.CustomFields[k] = map[string]any{"value": string(s), "label": status.Labels[s]}
		} else {
			f.CustomFields[k] = v
		}
	}
	n.patches = append(n.patches, patch{ID: id, Fields: copied, RequestID: req})
	return req, nil
}

// Fabrics applies the repository filter, as NetBox does.
func (n *fakeNetBox) Fabrics(ctx context.Context, repositoryID int64) ([]fabric.Fabric, error) {
	if n.listGate != nil {
		select {
		case <-n.listGate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lists++
	n.listed = append(n.listed, repositoryID)
	if len(n.listErr) > 0 {
		err := n.listErr[0]
		n.listErr = n.listErr[1:]
		return nil, err
	}
	ids := make([]int64, 0, len(n.fabrics))
	for id, f := range n.fabrics {
		if repositoryID > 0 && repositoryID != f.GitRepositoryID {
			continue
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	out := make([]fabric.Fabric, 0, len(ids))
	for _, id := range ids {
		out = append(out, cloneFabric(n.fabrics[id]).Core())
	}
	return out, nil
}

func (n *fakeNetBox) statusOf(id int64) (st, errText string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.fabrics[id].CustomFieldString(status.FieldStatus), n.fabrics[id].CustomFieldString(status.FieldError)
}

func (n *fakeNetBox) field(id int64, name string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.fabrics[id].CustomFieldString(name)
}

func (n *fakeNetBox) patchList() []patch {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]patch(nil), n.patches...)
}

func (n *fakeNetBox) getCount(id int64) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.gets[id]
}

// fakeRepo is a git host with one in-memory tree per repository and
// branch. It applies proposals like the real port (no write when nothing
// changes), fails when two Apply calls for one repository and branch
// overlap, and can inject errors and block calls.
type fakeRepo struct {
	mu      sync.Mutex
	trees   map[string]map[string][]byte // repo key -> path -> content
	commits map[string]int
	active  map[string]int
	running int
	overlap []string // repository keys that saw two writers at once
	calls   []applyCall
	errs    map[string][]error // errors returned first, per repo key
	delay   time.Duration
	// gate, when set, is called at the start of every Apply (outside the
	// lock) with the repository key; tests block or synchronise in it.
	gate func(ctx context.Context, key string) error
}

type applyCall struct {
	Key      string
	Dirs     []string
	Proposal gitport.Proposal
	At       time.Time
}

func newFakeRepo() *fakeRepo {
	return &fakeRepo{
		trees:   map[string]map[string][]byte{},
		commits: map[string]int{},
		active:  map[string]int{},
		errs:    map[string][]error{},
	}
}

func (r *fakeRepo) Apply(ctx context.Context, t gitport.Target, dirs []string, plan gitport.PlanFunc) (gitport.Result, error) {
	key := repoKey(t)
	r.mu.Lock()
	r.active[key]++
	if r.active[key] > 1 {
		r.overlap = append(r.overlap, key)
	}
	r.running++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.active[key]--
		r.running--
		r.mu.Unlock()
	}()
	if r.gate != nil {
		if err := r.gate(ctx, key); err != nil {
			return gitport.Result{}, err
		}
	}
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if errs := r.errs[key]; len(errs) > 0 {
		r.errs[key] = errs[1:]
		r.calls = append(r.calls, applyCall{Key: key, Dirs: dirs, At: time.Now()})
		return gitport.Result{}, errs[0]
	}
	tree := r.trees[key]
	if tree == nil {
		tree = map[string][]byte{}
		r.trees[key] = tree
	}
	head := fmt.Sprintf("%s-c%d", key, r.commits[key])
	snaps := map[string]fgd.Snapshot{}
	for _, d := range dirs {
		s := fgd.Snapshot{Contents: map[string][]byte{}}
		prefix := ""
		if d != "" {
			prefix = d + "/"
		}
		for p, content := range tree {
			if !strings.HasPrefix(p, prefix) {
				continue
			}
			rel := strings.TrimPrefix(p, prefix)
			s.Entries = append(s.Entries, fgd.Entry{Path: rel, Type: fgd.TypeFile, Size: int64(len(content)), SHA: fgd.BlobSHA(content)})
			s.Contents[rel] = content
		}
		snaps[d] = s
	}
	prop, err := plan(head, snaps)
	r.calls = append(r.calls, applyCall{Key: key, Dirs: dirs, Proposal: prop, At: time.Now()})
	if err != nil {
		return gitport.Result{}, err
	}
	changed := false
	for _, ch := range prop.Changes {
		switch ch.Op {
		case fgd.OpDelete:
			if _, ok := tree[ch.Path]; ok {
				delete(tree, ch.Path)
				changed = true
			}
		default:
			if string(tree[ch.Path]) != string(ch.Content) || tree[ch.Path] == nil {
				tree[ch.Path] = ch.Content
				changed = true
			}
		}
	}
	if changed {
		r.commits[key]++
		head = fmt.Sprintf("%s-c%d", key, r.commits[key])
	}
	return gitport.Result{Head: head, Changed: changed, CommitURL: "https://" + t.Repo.Host + "/" + t.Repo.Owner + "/" + t.Repo.Name + "/commit/" + head, Attempts: 1}, nil
}

func (r *fakeRepo) put(key, p, content string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.trees[key] == nil {
		r.trees[key] = map[string][]byte{}
	}
	r.trees[key][p] = []byte(content)
}

func (r *fakeRepo) callList() []applyCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]applyCall(nil), r.calls...)
}

func (r *fakeRepo) overlaps() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.overlap...)
}

func (r *fakeRepo) commitCount(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.commits[key]
}

// fakeEngine is a tiny deterministic FGD engine: it keeps a README.md
// naming the fabric and moves raw/<name>.yaml to managed/<name>.yaml. A raw
// file whose name starts with "conflict" is reported as a conflict and left
// in place.
type fakeEngine struct {
	mu       sync.Mutex
	planErrs map[int64]error
	inputs   []PlanInput
}

func (e *fakeEngine) CheckDir(dir string) (string, error) {
	d := strings.Trim(dir, "/")
	for _, seg := range strings.Split(d, "/") {
		if seg == ".." || seg == "." {
			return "", fmt.Errorf("gitops directory %q: %q segment not allowed", dir, seg)
		}
	}
	return d, nil
}

func (e *fakeEngine) Plan(snap fgd.Snapshot, in PlanInput) (DirPlan, error) {
	e.mu.Lock()
	e.inputs = append(e.inputs, in)
	err := e.planErrs[in.FabricID]
	e.mu.Unlock()
	if err != nil {
		return DirPlan{}, err
	}
	var dp DirPlan
	readme := []byte("fabric " + in.FabricName + "\n")
	init := true
	for _, en := range snap.Entries {
		if en.Path == "README.md" {
			init = false
			if en.SHA != fgd.BlobSHA(readme) {
				dp.Changes = append(dp.Changes, fgd.Change{Path: "README.md", Op: fgd.OpUpdate, Content: readme})
			}
		}
	}
	if init {
		dp.Changes = append(dp.Changes, fgd.Change{Path: "README.md", Op: fgd.OpCreate, Content: readme})
	}
	ingested := 0
	for _, en := range snap.Entries {
		if !strings.HasPrefix(en.Path, "raw/") {
			continue
		}
		base := path.Base(en.Path)
		if strings.HasPrefix(base, "conflict") {
			dp.Conflicts = append(dp.Conflicts, "Switch/dup twice in "+en.Path)
			continue
		}
		if strings.HasPrefix(base, "invalid") {
			// As the real engine with schemas: moved to unmanaged/, reported.
			dp.Rejected = append(dp.Rejected, en.Path+`#0 VPC bad: fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz"`)
			dp.Changes = append(dp.Changes,
				fgd.Change{Path: en.Path, Op: fgd.OpDelete},
				fgd.Change{Path: "unmanaged/" + base, Op: fgd.OpCreate, Content: snap.Contents[en.Path]})
			continue
		}
		dp.Changes = append(dp.Changes,
			fgd.Change{Path: en.Path, Op: fgd.OpDelete},
			fgd.Change{Path: "managed/" + base, Op: fgd.OpCreate, Content: snap.Contents[en.Path]})
		ingested++
	}
	sort.Slice(dp.Changes, func(a, b int) bool { return dp.Changes[a].Path < dp.Changes[b].Path })
	dp.Placed = map[string]int{"managed": ingested}
	switch {
	case init:
		dp.Summary = "Initialize GitOps directory for fabric " + in.FabricName
	default:
		dp.Summary = fmt.Sprintf("Ingest %d documents for fabric %s", ingested, in.FabricName)
	}
	return dp, nil
}

func (e *fakeEngine) planInputs() []PlanInput {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]PlanInput(nil), e.inputs...)
}

// fakeParseURL understands https://host/owner/name(.git) only, and, like
// the real one, never echoes credentials.
func fakeParseURL(raw string) (gitport.Repo, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return gitport.Repo{}, &gitport.Error{Class: gitport.ClassInvalid, Op: "parse url", Message: "not an https URL"}
	}
	parts := strings.Split(strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git"), "/")
	if len(parts) != 2 {
		return gitport.Repo{}, &gitport.Error{Class: gitport.ClassInvalid, Op: "parse url", Message: "want https://host/owner/name"}
	}
	return gitport.Repo{Host: u.Host, Owner: parts[0], Name: parts[1]}, nil
}

// harness bundles a controller and its fakes.
type harness struct {
	nb   *fakeNetBox
	repo *fakeRepo
	eng  *fakeEngine
	c    *Controller
	now  atomic.Int64  // Unix seconds of the controller's clock
	wait time.Duration // how long outcomeFor waits; default 5s
}

func (h *harness) setNow(t time.Time) { h.now.Store(t.Unix()) }

func newHarness(t *testing.T, mod func(*Options)) *harness {
	t.Helper()
	h := &harness{nb: newFakeNetBox(), repo: newFakeRepo(), eng: &fakeEngine{planErrs: map[int64]error{}}}
	o := Options{
		NetBox:      h.nb,
		Repository:  h.repo,
		Engine:      h.eng,
		ParseURL:    fakeParseURL,
		Workers:     4,
		BatchWindow: 20 * time.Millisecond,
		RetryBase:   time.Millisecond,
		RetryMax:    5 * time.Millisecond,
		Now:         func() time.Time { return time.Unix(h.now.Load(), 0).UTC() },
	}
	h.setNow(time.Date(2026, 3, 6, 15, 11, 23, 0, time.UTC))
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	return h
}

// run starts the controller's workers and stops them when the test ends.
func (h *harness) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
}

// waitFor polls cond until it holds or 5 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, 5*time.Second, what, cond)
}

func waitWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// outcomeFor waits for a recorded outcome of a fabric that satisfies ok.
func (h *harness) outcomeFor(t *testing.T, id int64, ok func(Outcome) bool) Outcome {
	t.Helper()
	var got Outcome
	wait := h.wait
	if wait == 0 {
		wait = 5 * time.Second
	}
	waitWithin(t, wait, fmt.Sprintf("an outcome of fabric %d", id), func() bool {
		o, found := h.c.LastOutcome(id)
		got = o
		return found && ok(o)
	})
	return got
}

func anyOutcome(Outcome) bool { return true }

var errBoom = errors.New("boom")
