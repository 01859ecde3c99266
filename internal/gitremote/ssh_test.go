package gitremote_test

import (
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// The acceptance case over SSH (key file with a passphrase, known_hosts),
// then the SSH failures: an unknown key, a host key that known_hosts does
// not list, a wrong passphrase, a missing repository.
func TestApplySSH(t *testing.T) {
	t.Parallel()
	keyFile, pub := testkit.SSHKey(t, "")
	encKeyFile, encPub := testkit.SSHKey(t, testPassword)
	otherKey, _ := testkit.SSHKey(t, "")
	e := newEnv(t, nil)
	srv := testkit.NewSSHServer(t, e.srv.root, pub, encPub)
	known := srv.KnownHosts(t, srv.HostKey)
	_, wrongHost := testkit.SSHKey(t, "")
	unknownHost := srv.KnownHosts(t, wrongHost)
	e.seedAcceptance(t)

	remote := func(c gitremote.Credentials) *gitremote.Remote {
		return gitremote.New(gitremote.Options{
			CredentialsFor: func(gitport.Repo) gitremote.Credentials { return c },
			URLFor: func(r gitport.Repo) string {
				return srv.URL(r.Owner, r.Name)
			},
		})
	}
	good := gitremote.Credentials{SSHKeyFile: keyFile, KnownHostsFile: known}
	encrypted := gitremote.Credentials{SSHKeyFile: encKeyFile, SSHKeyPassphrase: testPassword, KnownHostsFile: known}
	res, err := remote(good).Apply(t.Context(), gitport.Target{Repo: e.repo, Branch: "main"}, []string{fgdDir}, testkit.EnginePlan)
	if err != nil || !res.Changed || res.Attempts != 1 {
		t.Fatalf("Apply over SSH = %+v, %v", res, err)
	}
	files := testkit.Clone(t, e.bare, "main")
	testkit.CheckManagedCounts(t, files, fgdDir)
	res2, err := remote(encrypted).Apply(t.Context(), gitport.Target{Repo: e.repo, Branch: "main"}, []string{fgdDir}, testkit.EnginePlan)
	if err != nil || res2.Changed || res2.Head != res.Head {
		t.Errorf("second Apply over SSH = %+v, %v; want unchanged at %s", res2, err, res.Head)
	}

	for _, tc := range []struct {
		name  string
		creds gitremote.Credentials
		repo  string
		class gitport.Class
	}{
		{"key not authorized", gitremote.Credentials{SSHKeyFile: otherKey, KnownHostsFile: known}, name, gitport.ClassAuth},
		{"host key not in known_hosts", gitremote.Credentials{SSHKeyFile: keyFile, KnownHostsFile: unknownHost}, name, gitport.ClassAuth},
		{"wrong passphrase", gitremote.Credentials{SSHKeyFile: encKeyFile, SSHKeyPassphrase: testPassword + "x", KnownHostsFile: known}, name, gitport.ClassInvalid},
		{"missing repository", good, "nothing-here", gitport.ClassNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.repo
			r.Name = tc.repo
			_, err := remote(tc.creds).Apply(t.Context(), gitport.Target{Repo: r, Branch: "main"}, []string{fgdDir}, testkit.EnginePlan)
			wantClass(t, err, tc.class)
			t.Logf("%v", err)
		})
	}
	if got := len(testkit.GitLog(t, e.bare, "main")); got != 2 {
		t.Errorf("history has %d commits, want 2", got)
	}
}
