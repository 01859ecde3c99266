package doctor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/doctor"
	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/netbox"
	"github.com/githedgehog/hnp-gitops/internal/netboxsetup"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

const (
	token      = "0123456789abcdef0123456789abcdef0doctor1"
	secret     = "whsec-doctor-test"
	serviceURL = "http://hnp-gitops.netbox.svc:8080"
)

// env is a NetBox emulator set up for the service, with one fabric on a
// repository the token can read; break changes one thing before the run.
func run(t *testing.T, o netboxsim.Options, brk func(*netboxsim.Server)) (map[string]doctor.Check, bool) {
	t.Helper()
	return runAt(t, o, brk, serviceURL, 0, "")
}

// runAt is run with the doctor told the service is at service.
// runAt is run with the doctor told the service is at service, its clock
// skew ahead, and gitToken as the GitHub token ("" = one that may push).
func runAt(t *testing.T, o netboxsim.Options, brk func(*netboxsim.Server), service string, skew time.Duration, gitToken string) (map[string]doctor.Check, bool) {
	t.Helper()
	o.Token, o.HNPQuirks = token, true
	if o.Version == "" {
		o.Version = "4.3"
	}
	nb, err := netboxsim.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nb.Close() })
	c, err := netbox.New(netbox.Options{BaseURL: nb.URL(), Token: token, RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := netboxsetup.Run(ctx, c, netboxsetup.Options{ServiceURL: serviceURL, WebhookSecret: secret}); err != nil {
		t.Fatal(err)
	}
	r, err := nb.CreateRepository(netboxsim.Repository{Name: "r", URL: "https://github.com/o/r.git"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nb.CreateFabricDirect(netboxsim.Fabric{Name: "f", GitRepository: r.ID, GitOpsDirectory: "f"}); err != nil {
		t.Fatal(err)
	}
	if brk != nil {
		brk(nb)
	}
	checks := doctor.Run(ctx, c, doctor.Options{ServiceURL: service, WebhookSecret: secret, Now: func() time.Time { return time.Now().Add(skew) },
		Repos: gitHub(t, gitToken)})
	by := map[string]doctor.Check{}
	for _, ch := range checks {
		by[ch.Name] = ch
	}
	t.Logf("\n%s", doctor.String(checks))
	return by, doctor.Failed(checks)
}

func TestHealthy(t *testing.T) {
	t.Parallel()
	by, failed := run(t, netboxsim.Options{}, nil)
	if failed {
		t.Fatal("a healthy NetBox failed a check")
	}
	for name, ch := range by {
		want := doctor.OK
		if name == "hnp blank=True" {
			want = doctor.NotChecked // only a write shows it
		}
		if ch.Result != want {
			t.Errorf("%s: %s (%s), want %s", name, ch.Result, ch.Detail, want)
		}
	}
	if len(by) != 12 {
		t.Errorf("%d checks, want 12", len(by))
	}
}

// TestEachBroken breaks one thing at a time: that check fails with what to
// do, and the run fails.
func TestEachBroken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, check, detail string
		o                   netboxsim.Options
		brk                 func(*netboxsim.Server)
		service             string // where the doctor is told the service is; "" = where setup pointed
		skew                time.Duration
		gitToken            string
	}{
		{"no rq worker", "rq worker", "rqworker", netboxsim.Options{RQWorkers: -1}, nil, "", 0, ""},
		{"token revoked", "netbox reachable", "Invalid token", netboxsim.Options{}, func(nb *netboxsim.Server) { nb.RevokeToken() }, "", 0, ""},
		// The webhook still posts to the old place.
		{"service moved", "netbox setup", "run `hnp-gitops netbox setup`", netboxsim.Options{}, nil, "http://hnp-gitops.elsewhere.svc:8080", 0, ""},
		{"repository of another user", "git repositories readable", "only to its creator", netboxsim.Options{}, func(nb *netboxsim.Server) {
			r, err := nb.CreateRepository(netboxsim.Repository{Name: "theirs", URL: "https://github.com/o/theirs.git", CreatedBy: "someone-else"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := nb.CreateFabricDirect(netboxsim.Fabric{Name: "g", GitRepository: r.ID, GitOpsDirectory: "g"}); err != nil {
				t.Fatal(err)
			}
		}, "", 0, ""},
		{"netbox down", "netbox reachable", "check --netbox-url", netboxsim.Options{}, func(nb *netboxsim.Server) { nb.SetDown(true) }, "", 0, ""},
		// This machine's clock two minutes ahead of NetBox's.
		{"clock off", "clock", "synchronise both with NTP", netboxsim.Options{}, nil, "", 2 * time.Minute, ""},
		// A token without view on object changes.
		{"change log forbidden", "change log readable", "core.objectchange", netboxsim.Options{}, func(nb *netboxsim.Server) {
			nb.SetFaults(netboxsim.Faults{Routes: map[netboxsim.Route]netboxsim.RouteFault{netboxsim.RouteChangeLog: {ErrorRate: 1, ErrorStatus: 403}}})
		}, "", 0, ""},
		// A token without view on journal entries.
		{"journal forbidden", "journal readable", "extras.journalentry", netboxsim.Options{}, func(nb *netboxsim.Server) {
			nb.SetFaults(netboxsim.Faults{Routes: map[netboxsim.Route]netboxsim.RouteFault{netboxsim.RouteJournal: {ErrorRate: 1, ErrorStatus: 403}}})
		}, "", 0, ""},
		// A token GitHub lets read the repository but not push to it.
		{"no push", "push rights", "grants no push", netboxsim.Options{}, nil, "", 0, readOnlyToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			service := serviceURL
			if tt.service != "" {
				service = tt.service
			}
			by, failed := runAt(t, tt.o, tt.brk, service, tt.skew, tt.gitToken)
			ch := by[tt.check]
			if !failed || ch.Result != doctor.Fail || !strings.Contains(ch.Detail, tt.detail) {
				t.Errorf("%s: %s %q (run failed: %v); want FAIL naming %q", tt.check, ch.Result, ch.Detail, failed, tt.detail)
			}
			for name, other := range by {
				if name != tt.check && other.Result == doctor.Fail && tt.check != "netbox reachable" {
					t.Errorf("%s also failed: %s", name, other.Detail)
				}
			}
		})
	}
}

const (
	gitHubToken   = "ghp_doctorFAKEtoken0123456789abcdefABCD"
	readOnlyToken = "ghp_doctorREADONLY0123456789abcdefABCD"
)

// gitHub is the GitHub emulator with the fabric's repository (o/r), and
// the service's repository access to it with token ("" = gitHubToken).
func gitHub(t *testing.T, token string) gitport.AccessChecker {
	t.Helper()
	if token == "" {
		token = gitHubToken
	}
	sim, err := githubsim.New(githubsim.Options{Dir: t.TempDir(), Token: gitHubToken, ReadOnlyTokens: []string{readOnlyToken}, Wrap: testkit.Contract(t).Wrap})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	if _, err := sim.CreateRepo("o", "r", false, "main"); err != nil {
		t.Fatal(err)
	}
	gh := githubapi.NewGitHub(githubapi.GitHubOptions{APIURL: sim.URL() + "/", TokenFor: func(gitport.Repo) string { return token }, RetryMax: -1})
	return gitport.NewRouter(gh, nil, nil)
}
