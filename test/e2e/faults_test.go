package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// fabricGetRoute is the netboxsim.Stats key of GET one fabric.
const fabricGetRoute = "GET /api/plugins/hedgehog/fabrics/{id}/"

// TestFaultsRetried: GitHub 5xx and rate limits, NetBox 5xx on the fabric
// read and on the status write. The faults fire (the emulators count them),
// the service retries, and the fabric ends initialized in exactly one
// commit.
func TestFaultsRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		github githubsim.Faults
		netbox netboxsim.Faults
		// minWait is the least time the fault asks the client to wait
		// (retry-after); the run cannot be faster if it is honoured.
		minWait time.Duration
	}{
		{name: "github 502", github: githubsim.Faults{Errors: 3, ErrorStatus: 502}},
		{name: "github 500 on the tree write", github: githubsim.Faults{Match: "POST /repos/{owner}/{repo}/git/trees", Errors: 2, ErrorStatus: 500}},
		{name: "github 503 on the ref update", github: githubsim.Faults{Match: "PATCH ", Errors: 2, ErrorStatus: 503}},
		{name: "github 403 secondary rate limit with retry-after", github: githubsim.Faults{RateLimited: 2, RetryAfterSeconds: 1}, minWait: time.Second},
		{name: "github 429 with retry-after", github: githubsim.Faults{TooMany: 1, RetryAfterSeconds: 2}, minWait: 2 * time.Second},
		{name: "github primary budget spent", github: githubsim.Faults{Exhausted: 1, ResetSeconds: 2}, minWait: time.Second},
		{name: "netbox 500 on the fabric read", netbox: netboxsim.Faults{Routes: map[netboxsim.Route]netboxsim.RouteFault{
			netboxsim.RouteFabricGet: {Errors: 3}}}},
		{name: "netbox 503 on the fabric read", netbox: netboxsim.Faults{Routes: map[netboxsim.Route]netboxsim.RouteFault{
			netboxsim.RouteFabricGet: {Errors: 2, ErrorStatus: 503}}}},
		{name: "netbox 500 on the first status write", netbox: netboxsim.Faults{Routes: map[netboxsim.Route]netboxsim.RouteFault{
			netboxsim.RouteFabricWrite: {Errors: 1}}}},
		{name: "netbox 500 on every status write twice", netbox: netboxsim.Faults{Routes: map[netboxsim.Route]netboxsim.RouteFault{
			netboxsim.RouteFabricWrite: {Errors: 3}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStack(t, harness.Options{}, fastArgs...)
			repoID, bare := s.newRepo(t)
			s.env.GitHub.SetFaults(tt.github)
			s.env.NetBox.SetFaults(tt.netbox)
			start := time.Now()
			f := s.createFabric(t, "fabric-1", repoID, fgdPath)
			got := s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
			took := time.Since(start)

			injected := 0
			for _, n := range s.env.GitHub.Stats().FaultsApplied {
				injected += n
			}
			for _, n := range s.env.NetBox.Stats().Faults {
				injected += n
			}
			if injected == 0 {
				t.Fatal("no fault fired: the test proves nothing")
			}
			if n := s.commits(t, bare); n != 2 {
				t.Errorf("commits on main: %d, want 2 (one commit despite the retries)", n)
			}
			head := s.git(t, bare, "rev-parse", "main")
			if u := fmt.Sprint(got.CustomFields[status.FieldCommitURL]); !strings.HasSuffix(u, "/commit/"+head) {
				t.Errorf("gitops_commit_url %s, want the head %s", u, head)
			}
			if e := got.CustomFields[status.FieldError]; e != "" && e != nil {
				t.Errorf("directory_init_error %q after success, want empty", e)
			}
			if took < tt.minWait {
				t.Errorf("initialized %s after the create, sooner than the %s the rate limit asked for", took, tt.minWait)
			}
			s.noSecrets(t, bare)
			t.Logf("initialized after %s; faults: github %v netbox %v", took.Round(time.Millisecond),
				s.env.GitHub.Stats().FaultsApplied, s.env.NetBox.Stats().Faults)
		})
	}
}

// TestFaultsTerminal: a wrong GitHub token, a repository that does not
// exist and a protected branch end in error with a message that names the
// cause, contains no token, makes no commit and is not retried.
func TestFaultsTerminal(t *testing.T) {
	t.Parallel()
	const wrongToken = "ghp_wrongTOKENnot_the_right_one_0123456789"
	tests := []struct {
		name string
		args []string
		// prepare returns the NetBox repository of the fabric.
		prepare func(t *testing.T, s *stack) int64
		want    []string // the message contains one of these
	}{
		{
			name: "github 401 wrong token",
			args: []string{"--github-token=" + wrongToken},
			want: []string{"401", "Bad credentials"},
		},
		{
			name: "github 404 repository does not exist",
			prepare: func(t *testing.T, s *stack) int64 {
				r, err := s.env.NetBox.CreateRepository(netboxsim.Repository{
					Name: "missing", URL: harness.RepoURL("no-such-repo"), Provider: "github",
					AuthenticationType: "token", DefaultBranch: "main", ValidateSSL: true, HasCredentials: true,
				})
				if err != nil {
					t.Fatal(err)
				}
				return r.ID
			},
			want: []string{"not found", "404"},
		},
		{
			name: "protected branch",
			prepare: func(t *testing.T, s *stack) int64 {
				if err := s.env.GitHub.Protect(harness.Owner, "fabric-config", "main"); err != nil {
					t.Fatal(err)
				}
				return 0
			},
			want: []string{"Protected branch", "protected"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStack(t, harness.Options{}, tt.args...)
			repoID, bare := s.newRepo(t)
			if tt.prepare != nil {
				if id := tt.prepare(t, s); id != 0 {
					repoID = id
				}
			}
			f := s.createFabric(t, "fabric-1", repoID, fgdPath)
			got := s.waitStatus(t, f.ID, status.Error, 30*time.Second)
			msg := fmt.Sprint(got.CustomFields[status.FieldError])
			named := false
			for _, w := range tt.want {
				named = named || strings.Contains(msg, w)
			}
			if !named {
				t.Errorf("directory_init_error %q names none of %q", msg, tt.want)
			}
			if strings.Contains(msg, "will retry") {
				t.Errorf("directory_init_error %q promises a retry for a terminal error", msg)
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "..") {
				t.Errorf("directory_init_error is not one clean line: %q", msg)
			}
			// Not retried: nothing more reaches GitHub or NetBox's fabric
			// endpoint in a second, far above the 100ms retry delay.
			before, gets := s.env.GitHub.Stats().Total(), s.env.NetBox.Stats().Requests[fabricGetRoute]
			time.Sleep(time.Second)
			if after := s.env.GitHub.Stats().Total(); after != before {
				t.Errorf("GitHub requests went on after the terminal error: %d, then %d", before, after)
			}
			if g := s.env.NetBox.Stats().Requests[fabricGetRoute]; g != gets || g != 1 {
				t.Errorf("fabric reads: %d then %d, want exactly 1 (no retry)", gets, g)
			}
			if n := s.commits(t, bare); n != 1 {
				t.Errorf("commits on main: %d, want 1 (no commit)", n)
			}
			s.noSecrets(t, bare)
			for _, line := range s.svc.LogLines() {
				if strings.Contains(line, wrongToken) {
					t.Errorf("the wrong token leaked into the logs: %s", line)
				}
			}
			if strings.Contains(msg, wrongToken) {
				t.Errorf("the wrong token is in directory_init_error: %s", msg)
			}
			t.Logf("directory_init_error: %s", msg)
		})
	}
}

// TestInvalidDirectory: a gitops_directory that escapes the repository is
// refused before anything is read or written: invalid_structure with a
// one-line reason, no commit, no retry.
func TestInvalidDirectory(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"../x", "/etc/.."} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			s := startStack(t, harness.Options{})
			repoID, bare := s.newRepo(t)
			f := s.createFabric(t, "fabric-1", repoID, dir)
			got := s.waitStatus(t, f.ID, status.InvalidStructure, 30*time.Second)
			msg := fmt.Sprint(got.CustomFields[status.FieldError])
			if msg == "" || strings.Contains(msg, "\n") || !strings.Contains(msg, "..") {
				t.Errorf("directory_init_error %q, want one line naming the '..'", msg)
			}
			time.Sleep(500 * time.Millisecond)
			if st := s.env.GitHub.Stats(); st.Writes != 0 || st.Commits != 0 {
				t.Errorf("GitHub writes %d, commits %d; want none", st.Writes, st.Commits)
			}
			if n := s.commits(t, bare); n != 1 {
				t.Errorf("commits on main: %d, want 1", n)
			}
			if g := s.env.NetBox.Stats().Requests[fabricGetRoute]; g != 1 {
				t.Errorf("fabric reads: %d, want 1 (no retry)", g)
			}
			t.Logf("directory_init_error: %s", msg)
		})
	}
}

// TestFabricWithoutRepository: error with a clear message, and no retries
// (the fabric is read once in a few seconds).
func TestFabricWithoutRepository(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{})
	f := s.createFabric(t, "fabric-1", 0, fgdPath)
	got := s.waitStatus(t, f.ID, status.Error, 30*time.Second)
	msg := fmt.Sprint(got.CustomFields[status.FieldError])
	if !strings.Contains(msg, "no git repository") {
		t.Errorf("directory_init_error %q, want it to say the fabric has no git repository", msg)
	}
	time.Sleep(2 * time.Second)
	if g := s.env.NetBox.Stats().Requests[fabricGetRoute]; g != 1 {
		t.Errorf("fabric reads in 2s: %d, want 1 (not retried)", g)
	}
	if n := len(serviceWrites(s.env.NetBox, f.ID)); n != 1 {
		t.Errorf("status writes: %d, want 1", n)
	}
	if st := s.env.GitHub.Stats(); st.Total() != 0 {
		t.Errorf("GitHub requests: %d, want none", st.Total())
	}
}

// TestNetBoxDown: NetBox stops answering (connections reset) just as a
// fabric is created; /readyz fails while it is down, the webhook's
// reconcile is retried, and once NetBox is back the fabric is initialized
// in one commit.
func TestNetBoxDown(t *testing.T) {
	t.Parallel()
	s := startStack(t, harness.Options{}, fastArgs...)
	repoID, bare := s.newRepo(t)
	start := time.Now()
	s.env.NetBox.SetDown(true)
	// The helper's request is let through; the webhook is still sent.
	f := s.createFabric(t, "fabric-1", repoID, fgdPath)
	eventually(t, 10*time.Second, "/readyz kept answering 200 while NetBox was down", func() bool {
		resp, err := http.Get(s.svc.HTTPURL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		drain(resp)
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	eventually(t, 10*time.Second, "the service did not try NetBox while it was down", func() bool {
		return s.env.NetBox.Stats().Faults["down"] >= 2
	})
	if st := harness.FabricStatus(mustFabric(t, s, f.ID)); st == status.Initialized {
		t.Fatalf("initialized while NetBox was down")
	}
	downFor := time.Since(start)
	s.env.NetBox.SetDown(false)
	s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	upAfter := time.Since(start) - downFor
	if err := s.svc.WaitReady(waitCtx(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2", n)
	}
	t.Logf("NetBox down %s (%d connections reset), initialized %s after it came back",
		downFor.Round(time.Millisecond), s.env.NetBox.Stats().Faults["down"], upAfter.Round(time.Millisecond))
}
