package e2e

import (
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestTwoFabricsOneCommit: two fabrics of one repository created together
// end up in one commit that holds both FGDs.
func TestTwoFabricsOneCommit(t *testing.T) {
	t.Parallel()
	// A batch window wide enough that both webhooks land in it on a busy
	// machine; the point is the batching, not its timing.
	s := startStack(t, harness.Options{}, "--batch-window=500ms")
	dirA, dirB := "gitops/hedgehog/fabric-a", "gitops/hedgehog/fabric-b"
	repoID, bare, err := s.env.NewRepo("fabric-config", rawSeed(t, dirA, dirB))
	if err != nil {
		t.Fatal(err)
	}
	a := s.createFabric(t, "fabric-a", repoID, dirA)
	b := s.createFabric(t, "fabric-b", repoID, dirB)
	fa := s.waitStatus(t, a.ID, status.Initialized, 30*time.Second)
	fb := s.waitStatus(t, b.ID, status.Initialized, 30*time.Second)

	if n := s.commits(t, bare); n != 2 {
		t.Fatalf("commits on main: %d, want 2 (the seed and one commit for both fabrics)", n)
	}
	stat := s.git(t, bare, "show", "--stat=400", "--format=", "main")
	for _, dir := range []string{dirA, dirB} {
		for _, p := range []string{dir + "/managed/kustomization.yaml", dir + "/.hnp/manifest.yaml", dir + "/managed/vpcs/"} {
			if !strings.Contains(stat, p) {
				t.Errorf("the commit does not touch %s:\n%s", p, stat)
			}
		}
	}
	head := s.git(t, bare, "rev-parse", "main")
	for _, f := range []map[string]any{fa.CustomFields, fb.CustomFields} {
		if u := fmt.Sprint(f[status.FieldCommitURL]); !strings.HasSuffix(u, "/commit/"+head) {
			t.Errorf("gitops_commit_url %s, want the one commit %s", u, head)
		}
	}
	msg := s.git(t, bare, "log", "-1", "--format=%B", "main")
	for _, name := range []string{"fabric-a", "fabric-b"} {
		if !strings.Contains(msg, name) {
			t.Errorf("the commit message does not name %s:\n%s", name, msg)
		}
	}
	if st := s.env.GitHub.Stats(); st.Commits != 1 || st.RefUpdates != 1 {
		t.Errorf("GitHub saw %d commits and %d ref updates, want 1 and 1", st.Commits, st.RefUpdates)
	}
}

// TestServiceDownWhenCreated: NetBox's webhook fails because the service is
// not running (NetBox does not retry it); once the service starts, its first
// resync initializes the fabric.
func TestServiceDownWhenCreated(t *testing.T) {
	t.Parallel()
	s := startEnv(t, harness.Options{})
	addr := freeAddr(t)
	s.setup(t, "http://"+addr)
	repoID, bare := s.newRepo(t)
	f := s.createFabric(t, "fabric-1", repoID, fgdPath)
	// The rule covers repositories too: the repository's created event
	// goes first, then the fabric's.
	ds, err := s.env.NetBox.WaitDeliveries(waitCtx(t, 10*time.Second), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].ObjectType != netboxsim.RepositoryObjectType || ds[0].OK() ||
		ds[1].ObjectType != netboxsim.FabricObjectType || ds[1].OK() || ds[1].Dropped || ds[1].ObjectID != f.ID {
		t.Fatalf("deliveries %+v, want failed deliveries for the repository and fabric %d", ds, f.ID)
	}
	if st := harness.FabricStatus(mustFabric(t, s, f.ID)); st == status.Initialized || st == status.Initializing {
		t.Fatalf("status %q before the service ran", st)
	}

	s.startService(t, "--listen="+addr)
	s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2", n)
	}
	if got := statusSequence(serviceWrites(s.env.NetBox, f.ID)); !slices.Equal(got, []string{"initializing", "initialized"}) {
		t.Errorf("status writes %v, want [initializing initialized]", got)
	}
	if n := metric(t, s.svc, `hnp_gitops_webhook_deliveries_total{result="accepted"}`); n != 0 {
		t.Errorf("webhooks accepted: %v, want 0 (the only one was lost)", n)
	}
	if n := metric(t, s.svc, "hnp_gitops_resync_enqueued_total"); n < 1 {
		t.Errorf("resync_enqueued_total %v: the fabric was not queued by the resync", n)
	}
}

// TestOwnStatusWriteEcho: the service's status writes come back as webhooks;
// they cause no second commit and no second write, not even across several
// (full) resyncs.
func TestOwnStatusWriteEcho(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{}, fastArgs...)
	f, bare, _ := s.initFabric(t)
	// The repository's create (ignored), the fabric's create and the two
	// status writes are four webhooks; wait until they were all answered,
	// then give the service time to misbehave (several resync passes, at
	// least one full).
	if _, err := s.env.NetBox.WaitDeliveries(waitCtx(t, 10*time.Second), 4); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)

	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2", n)
	}
	if st := s.env.GitHub.Stats(); st.Commits != 1 || st.RefUpdates != 1 {
		t.Errorf("GitHub commits %d and ref updates %d, want 1 and 1", st.Commits, st.RefUpdates)
	}
	writes := serviceWrites(s.env.NetBox, f.ID)
	if got := statusSequence(writes); !slices.Equal(got, []string{"initializing", "initialized"}) {
		t.Errorf("status writes %v, want [initializing initialized]", got)
	}
	perValue := map[string]int{}
	for _, e := range writes {
		for k, v := range e.CustomFields {
			perValue[k+"="+fmt.Sprint(v)]++
		}
	}
	for kv, n := range perValue {
		if n != 1 {
			t.Errorf("%s written %d times, want once", kv, n)
		}
	}
	for _, d := range s.env.NetBox.Deliveries() {
		if !d.OK() {
			t.Errorf("delivery %s %d answered %d %s", d.Event, d.ObjectID, d.StatusCode, d.Err)
		}
	}
	if n := metric(t, s.svc, `hnp_gitops_webhook_deliveries_total{result="self"}`); n != 2 {
		t.Errorf("webhooks recognised as the service's own writes: %v, want 2", n)
	}
	if n := metric(t, s.svc, `hnp_gitops_webhook_deliveries_total{result="accepted"}`); n != 1 {
		t.Errorf("webhooks accepted: %v, want 1 (the create)", n)
	}
	if n := metric(t, s.svc, `hnp_gitops_reconciles_total{result="unchanged"}`); n < 1 {
		t.Errorf("unchanged reconciles %v: the full resync did not run in 2.5s", n)
	}
}

// TestRawFileAfterInit: a file dropped into raw/ directly on GitHub after
// the fabric was initialized is ingested by the next full resync, in one
// commit.
func TestRawFileAfterInit(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{}, fastArgs...)
	f, bare, first := s.initFabric(t)

	vpc := "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: dropped-vpc\n  namespace: default\nspec:\n  subnets:\n    s1:\n      subnet: 10.0.9.0/24\n      vlan: 1009\n"
	seeded, err := s.env.GitHub.SeedFiles(harness.Owner, "fabric-config", "main",
		map[string][]byte{path.Join(fgdPath, "raw", "dropped.yaml"): []byte(vpc)}, "Add a VPC by hand")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the dropped file was not ingested", func() bool {
		h, _ := s.env.GitHub.Head(harness.Owner, "fabric-config", "main")
		return h != seeded
	})
	ctx := waitCtx(t, 15*time.Second)
	var got map[string]any
	for {
		fb, _ := s.env.NetBox.Fabric(f.ID)
		if fb.CustomFields[status.FieldCommitURL] != first.CustomFields[status.FieldCommitURL] {
			got = fb.CustomFields
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("gitops_commit_url did not move to the new commit")
		case <-time.After(20 * time.Millisecond):
		}
	}

	if n := s.commits(t, bare); n != 4 {
		t.Fatalf("commits on main: %d, want 4 (seed, init, the hand-made one, one ingest)", n)
	}
	head := s.git(t, bare, "rev-parse", "main")
	if parent := s.git(t, bare, "rev-parse", "main^"); parent != seeded {
		t.Errorf("the ingest commit's parent is %s, want the hand-made commit %s", parent, seeded)
	}
	if u := fmt.Sprint(got[status.FieldCommitURL]); !strings.HasSuffix(u, "/commit/"+head) {
		t.Errorf("gitops_commit_url %s, want the head %s", u, head)
	}
	// last_directory_sync has a resolution of a second: it may not move
	// when the ingest comes within the same second, but never goes back.
	t0, err0 := time.Parse(time.RFC3339, fmt.Sprint(first.CustomFields[status.FieldLastSync]))
	t1, err1 := time.Parse(time.RFC3339, fmt.Sprint(got[status.FieldLastSync]))
	if err0 != nil || err1 != nil || t1.Before(t0) {
		t.Errorf("last_directory_sync %v after %v: want a datetime no earlier (%v, %v)",
			got[status.FieldLastSync], first.CustomFields[status.FieldLastSync], err0, err1)
	}
	clone := s.clone(t, bare)
	files, err := harness.Files(clone, fgdPath)
	if err != nil {
		t.Fatal(err)
	}
	placed := false
	for _, p := range files {
		if strings.HasPrefix(p, "raw/") && p != "raw/.gitkeep" {
			t.Errorf("%s still in raw/", p)
		}
		if strings.HasPrefix(p, "managed/vpcs/") && strings.Contains(p, "dropped-vpc") {
			placed = true
		}
	}
	if !placed {
		t.Errorf("no managed/vpcs file for dropped-vpc at the head: %v", files)
	}
	if kb := s.git(t, clone, "show", "HEAD:"+fgdPath+"/managed/kustomization.yaml"); !strings.Contains(kb, "dropped-vpc") {
		t.Errorf("managed/kustomization.yaml does not list dropped-vpc:\n%s", kb)
	}
}

// TestNotInitializedFreshRun: a user who sets the status to not_initialized
// in NetBox (through the API, so a webhook fires) gets a fresh run that ends
// initialized again; the directory is already in its target state, so there
// is no new commit.
func TestNotInitializedFreshRun(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	f, bare, first := s.initFabric(t)
	// Let the service's own echoes arrive first, so that the user's write
	// is the next webhook (4: the repository's create comes first).
	if _, err := s.env.NetBox.WaitDeliveries(waitCtx(t, 10*time.Second), 4); err != nil {
		t.Fatal(err)
	}
	if _, err := s.env.NetBox.UpdateFabric(f.ID, map[string]any{
		"custom_fields": map[string]any{status.FieldStatus: string(status.NotInitialized)},
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "no fresh run after not_initialized", func() bool {
		return len(statusSequence(serviceWrites(s.env.NetBox, f.ID))) >= 4
	})
	got := s.waitStatus(t, f.ID, status.Initialized, 15*time.Second).CustomFields
	if seq := statusSequence(serviceWrites(s.env.NetBox, f.ID)); !slices.Equal(seq, []string{"initializing", "initialized", "initializing", "initialized"}) {
		t.Errorf("status writes %v, want two runs [initializing initialized initializing initialized]", seq)
	}
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2 (the fresh run finds nothing to change)", n)
	}
	if got[status.FieldCommitURL] != first.CustomFields[status.FieldCommitURL] {
		t.Errorf("gitops_commit_url %v, want still %v", got[status.FieldCommitURL], first.CustomFields[status.FieldCommitURL])
	}
	if e := fmt.Sprint(got[status.FieldError]); e != "" && e != "<nil>" {
		t.Errorf("directory_init_error %q, want empty", e)
	}
}

func mustFabric(t *testing.T, s *stack, id int64) netboxsim.Fabric {
	t.Helper()
	f, ok := s.env.NetBox.Fabric(id)
	if !ok {
		t.Fatalf("fabric %d not in NetBox", id)
	}
	return f
}

// delayedDelivery delays each webhook delivery like NetBox's RQ worker
// (which takes a job from Redis) rather than sending it the instant the
// request's response is flushed.
type delayedDelivery struct{ d time.Duration }

func (t delayedDelivery) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(t.d)
	return http.DefaultTransport.RoundTrip(r)
}

// TestOwnWriteByRequestID: the service recognises the echoes of its status
// writes by two means: the request id of the write (recorded when NetBox
// answers it) and, failing that, an update that changed only its status
// fields. The emulator's instant deliveries usually beat the recording, so
// TestOwnStatusWriteEcho mostly exercises the second; with a delivery delay
// like an RQ worker's, both echoes are recognised by their request id.
func TestOwnWriteByRequestID(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{NetBox: netboxsim.Options{
		HTTPClient: &http.Client{Transport: delayedDelivery{50 * time.Millisecond}},
	}})
	_, bare, _ := s.initFabric(t)
	// The repository's create, the fabric's and the two echoes.
	if _, err := s.env.NetBox.WaitDeliveries(waitCtx(t, 10*time.Second), 4); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := strings.Count(s.svc.Logs(), `"reason":"own write (request id)"`); n != 2 {
		t.Errorf("echoes recognised by request id: %d, want 2", n)
	}
	if n := metric(t, s.svc, `hnp_gitops_webhook_deliveries_total{result="self"}`); n != 2 {
		t.Errorf("webhooks recognised as own writes: %v, want 2", n)
	}
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2", n)
	}
}
