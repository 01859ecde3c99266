package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

// TestCredentialsInRepositoryURL: a GitRepository URL typed with a token in
// it is used without the credentials, and the token shows up nowhere: not
// in the fabric's fields, the logs or the commit.
func TestCredentialsInRepositoryURL(t *testing.T) {
	t.Parallel()
	const urlToken = "ghp_URLTOKENmustNOTleak0123456789abcdef"
	s := startStack(t, harness.Options{})
	_, bare, err := s.env.NewRepo("fabric-config", rawSeed(t, fgdPath))
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.env.NetBox.CreateRepository(netboxsim.Repository{
		Name: "with-credentials", URL: "https://x-access-token:" + urlToken + "@github.com/" + harness.Owner + "/fabric-config.git",
		Provider: "github", AuthenticationType: "token", DefaultBranch: "main", ValidateSSL: true, HasCredentials: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := s.createFabric(t, "fabric-1", r.ID, fgdPath)
	got := s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
	if n := s.commits(t, bare); n != 2 {
		t.Errorf("commits on main: %d, want 2", n)
	}
	for k, v := range got.CustomFields {
		if strings.Contains(fmt.Sprint(v), urlToken) {
			t.Errorf("field %s holds the URL's token: %v", k, v)
		}
	}
	if strings.Contains(s.svc.Logs(), urlToken) {
		t.Errorf("the URL's token is in the logs")
	}
	if log := s.git(t, bare, "log", "--format=%B", "main"); strings.Contains(log, urlToken) {
		t.Errorf("the URL's token is in a commit message")
	}
	s.noSecrets(t, bare)
}

// TestMissingBranch: a repository whose push branch does not exist ends in
// error naming the branch; with --create-missing-branch the branch is made
// from the default branch and the fabric initialized.
func TestMissingBranch(t *testing.T) {
	t.Parallel()
	for _, create := range []bool{false, true} {
		t.Run(fmt.Sprintf("create=%v", create), func(t *testing.T) {
			t.Parallel()
			var args []string
			if create {
				args = append(args, "--create-missing-branch")
			}
			s := startStack(t, harness.Options{}, args...)
			_, bare, err := s.env.NewRepo("fabric-config", rawSeed(t, fgdPath))
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.env.NetBox.CreateRepository(netboxsim.Repository{
				Name: "push-branch", URL: harness.RepoURL("fabric-config"), Provider: "github",
				AuthenticationType: "token", DefaultBranch: "main", PushBranch: "fabric-updates",
				ValidateSSL: true, HasCredentials: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			f := s.createFabric(t, "fabric-1", r.ID, fgdPath)
			if !create {
				got := s.waitStatus(t, f.ID, status.Error, 30*time.Second)
				if msg := fmt.Sprint(got.CustomFields[status.FieldError]); !strings.Contains(msg, "fabric-updates") {
					t.Errorf("directory_init_error %q does not name the branch", msg)
				}
				if st := s.env.GitHub.Stats(); st.Commits != 0 {
					t.Errorf("commits made: %d, want none", st.Commits)
				}
				return
			}
			s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
			if n := s.git(t, bare, "rev-list", "--count", "main..fabric-updates"); n != "1" {
				t.Errorf("fabric-updates is %s commits ahead of main, want 1", n)
			}
			if n := s.commits(t, bare); n != 1 {
				t.Errorf("main moved: %d commits, want 1", n)
			}
		})
	}
}

// TestFabricDeleted: deleting a fabric leaves its directory in git as it
// is (its deleted webhook asks for nothing), and a fabric deleted while its
// reconcile waits for a retry is dropped: it is not read again and again.
func TestFabricDeleted(t *testing.T) {
	t.Parallel()
	t.Run("after init", func(t *testing.T) {
		t.Parallel()
		s := startStack(t, harness.Options{})
		f, bare, _ := s.initFabric(t)
		// The echo of the last status write is delivered after the status
		// shows initialized: wait for all four (the repository's create,
		// the fabric's, the two echoes) before counting.
		if _, err := s.env.NetBox.WaitDeliveries(waitCtx(t, 10*time.Second), 4); err != nil {
			t.Fatal(err)
		}
		writes := s.env.GitHub.Stats().Writes
		deliveries := len(s.env.NetBox.Deliveries())
		if err := s.env.NetBox.DeleteFabric(f.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if w := s.env.GitHub.Stats().Writes; w != writes {
			t.Errorf("GitHub writes after the delete: %d more", w-writes)
		}
		if n := s.commits(t, bare); n != 2 {
			t.Errorf("commits on main: %d, want 2", n)
		}
		if files, err := harness.Files(s.clone(t, bare), fgdPath); err != nil || !contains(files, "managed/kustomization.yaml") {
			t.Errorf("the FGD is gone after the delete (%v): %v", err, files)
		}
		// netbox setup's event rule covers created and updated only.
		if d := len(s.env.NetBox.Deliveries()); d != deliveries {
			t.Errorf("deliveries after the delete: %d more, want none", d-deliveries)
		}
	})
	t.Run("while retrying", func(t *testing.T) {
		t.Parallel()
		s := startStack(t, harness.Options{}, fastArgs...)
		repoID, _, err := s.env.NewRepo("fabric-config", rawSeed(t, fgdPath))
		if err != nil {
			t.Fatal(err)
		}
		// Every ref update finds the branch moved: Apply gives up after its
		// attempts with a retryable error, and the fabric is queued again.
		s.env.GitHub.SetFaults(githubsim.Faults{ConcurrentWriter: 1000})
		f := s.createFabric(t, "fabric-1", repoID, fgdPath)
		eventually(t, 15*time.Second, "the fabric was not retried", func() bool {
			return s.env.NetBox.Stats().Requests[fabricGetRoute] >= 2
		})
		if err := s.env.NetBox.DeleteFabricDirect(f.ID); err != nil {
			t.Fatal(err)
		}
		// The attempt in flight ends; the next one reads the fabric: 404.
		eventually(t, 20*time.Second, "the deleted fabric was not read again", func() bool {
			return s.env.NetBox.Stats().Responses[404] >= 1
		})
		gets := s.env.NetBox.Stats().Requests[fabricGetRoute]
		time.Sleep(2 * time.Second)
		if g := s.env.NetBox.Stats().Requests[fabricGetRoute]; g != gets {
			t.Errorf("the deleted fabric was read %d more times in 2s", g-gets)
		}
	})
}
