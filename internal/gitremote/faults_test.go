package gitremote_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// Terminal failures: the right class, one attempt, no push, no plan where
// none can be made, and never the password in any error text.
func TestApplyTerminalFailures(t *testing.T) {
	t.Parallel()
	wrong := func(o *gitremote.Options) {
		o.CredentialsFor = func(gitport.Repo) gitremote.Credentials {
			return gitremote.Credentials{Username: "hnp", Password: testPassword + "-wrong", PlainHTTP: true}
		}
	}
	tests := []struct {
		name   string
		mod    func(*gitremote.Options)
		setup  func(t *testing.T, e *env)
		target gitport.Target
		class  gitport.Class
		plans  int    // how many times the plan must have run
		text   string // a part of the error text
	}{
		{
			name: "wrong password", mod: wrong, class: gitport.ClassAuth,
			text: "authentication required or refused",
		},
		{
			name: "credentials in the URL, wrong", class: gitport.ClassAuth,
			mod: func(o *gitremote.Options) {
				o.CredentialsFor = nil
				url := o.URLFor
				o.URLFor = func(r gitport.Repo) string {
					return strings.Replace(url(r), "http://", "http://hnp:"+testPassword+"-wrong@", 1)
				}
			},
		},
		{
			name: "no credentials", class: gitport.ClassAuth,
			mod: func(o *gitremote.Options) { o.CredentialsFor = nil },
		},
		{
			name: "missing repository", class: gitport.ClassNotFound,
			target: gitport.Target{Repo: gitport.Repo{Owner: owner, Name: "nothing-here"}},
			text:   "repository not found",
		},
		{
			name: "pre-receive hook refuses (protected branch)", class: gitport.ClassProtected, plans: 1,
			setup: func(t *testing.T, e *env) {
				hook(t, e.bare, "pre-receive", "#!/bin/sh\necho 'GitLab: You are not allowed to push code to protected branches on this project.' >&2\nexit 1\n")
			},
			text: "pre-receive hook declined (remote: GitLab: You are not allowed to push code to protected branches on this project.)",
		},
		{
			name: "missing branch, creating it not enabled", class: gitport.ClassNotFound,
			target: gitport.Target{Branch: "gitops"},
			text:   `branch "gitops" does not exist (and creating it is not enabled)`,
		},
		{
			name: "pull-request mode", class: gitport.ClassInvalid,
			target: gitport.Target{PullRequestBranch: "hnp-gitops/update"},
			text:   "pull-request mode is not supported",
		},
		{
			name: "invalid branch", class: gitport.ClassInvalid,
			target: gitport.Target{Branch: "main..x"},
		},
		{
			name: "SSH without known_hosts", class: gitport.ClassInvalid,
			mod: func(o *gitremote.Options) {
				o.URLFor = func(r gitport.Repo) string { return "git@" + r.Host + ":" + r.Owner + "/" + r.Name + ".git" }
				o.CredentialsFor = func(gitport.Repo) gitremote.Credentials {
					return gitremote.Credentials{SSHKeyFile: "/nonexistent/id_ed25519", SSHKeyPassphrase: testPassword}
				}
			},
			text: "needs a known_hosts file",
		},
		{
			name: "SSH key file missing", class: gitport.ClassInvalid,
			mod: func(o *gitremote.Options) {
				o.URLFor = func(r gitport.Repo) string { return "ssh://git@127.0.0.1:1/" + r.Owner + "/" + r.Name + ".git" }
				o.CredentialsFor = func(gitport.Repo) gitremote.Credentials {
					return gitremote.Credentials{SSHKeyFile: "/nonexistent/id_ed25519", KnownHostsFile: "/dev/null", SSHKeyPassphrase: testPassword}
				}
			},
			text: "cannot load the SSH key file",
		},
		{
			name: "unsupported scheme", class: gitport.ClassInvalid,
			mod: func(o *gitremote.Options) {
				o.URLFor = func(r gitport.Repo) string { return "ftp://" + r.Host + "/" + r.Owner + "/" + r.Name }
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.mod)
			seed := e.seedAcceptance(t)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			e.srv.reset()
			plans := 0
			plan := func(head string, dirs map[string]fgd.Snapshot) (gitport.Proposal, error) {
				plans++
				return testkit.EnginePlan(head, dirs)
			}
			tg := tc.target
			if tg.Repo.Owner != "" {
				tg.Repo.Host = e.repo.Host
			}
			res, err := e.apply(t, tg, plan)
			wantClass(t, err, tc.class)
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not contain %q", err.Error(), tc.text)
			}
			var ge *gitport.Error
			if asGitrepoError(err, &ge) && ge.Retryable() {
				t.Errorf("a %s error must not be retryable", tc.class)
			}
			if res.Changed || res.Attempts > 1 || plans != tc.plans {
				t.Errorf("Changed=%v Attempts=%d plans=%d, want false, at most 1, %d", res.Changed, res.Attempts, plans, tc.plans)
			}
			if head := revParse(t, e.bare, "main"); head != seed {
				t.Errorf("main moved to %s", head)
			}
			if revParse(t, e.bare, "gitops") != "" {
				t.Error("a branch gitops was created")
			}
			t.Logf("%v", err)
		})
	}
}

// Pull-request mode is refused before any request.
func TestApplyPullRequestModeMakesNoRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, err := e.apply(t, gitport.Target{PullRequestBranch: "hnp-gitops/update"}, nil)
	wantClass(t, err, gitport.ClassInvalid)
	if n := e.srv.total(); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

// Network failures are transient (retryable), with no password.
func TestApplyNetworkFailures(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	_ = ln.Close()

	// A server that answers 503 to everything.
	e503 := newEnv(t, nil)
	down := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	e503.srv.srv.Config.Handler = down

	for _, tc := range []struct {
		name string
		e    *env
		url  string
	}{
		{name: "connection refused", e: newEnv(t, nil), url: "http://" + closedAddr + "/o/r.git"},
		{name: "service unavailable", e: e503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := tc.e
			if tc.url != "" {
				e = newEnv(t, func(o *gitremote.Options) { o.URLFor = func(gitport.Repo) string { return tc.url } })
			}
			_, err := e.apply(t, gitport.Target{}, nil)
			wantClass(t, err, gitport.ClassTransient)
			var ge *gitport.Error
			if !asGitrepoError(err, &ge) || !ge.Retryable() {
				t.Errorf("want retryable: %v", err)
			}
			t.Logf("%v", err)
		})
	}
}

// A cancelled context ends Apply with a transient error.
func TestApplyCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.seedAcceptance(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := e.remote.Apply(ctx, gitport.Target{Repo: e.repo, Branch: "main"}, []string{fgdDir},
		func(head string, dirs map[string]fgd.Snapshot) (gitport.Proposal, error) {
			cancel()
			return testkit.EnginePlan(head, dirs)
		})
	wantClass(t, err, gitport.ClassTransient)
	if !strings.Contains(err.Error(), "cancelled or timed out") {
		t.Errorf("error %q does not say it was cancelled", err)
	}
	if len(testkit.GitLog(t, e.bare, "main")) != 1 {
		t.Error("a commit landed after the context ended")
	}
}
