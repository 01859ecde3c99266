package gitremote

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// Credentials open one repository. HTTPS uses Username and Password (a
// token is the password; an empty Username with a Password becomes "git",
// which GitLab, Gitea and Azure DevOps accept; Bitbucket Cloud access tokens
// want "x-token-auth"). SSH uses SSHKeyFile (with SSHKeyPassphrase when the
// key is encrypted) and verifies the host against KnownHostsFile, which is
// required: a host key is never accepted blindly. Over plain HTTP the
// password (from here or from the URL) is sent only when PlainHTTP says
// the operator allowed it: anyone on the path could read it.
type Credentials struct {
	Username, Password string
	PlainHTTP          bool
	SSHKeyFile         string
	SSHKeyPassphrase   string
	KnownHostsFile     string
}

// Options configures the port. The zero value works for public HTTPS
// repositories that allow anonymous reads (pushes will need credentials).
type Options struct {
	// CredentialsFor returns the credentials of a repository. Default none.
	CredentialsFor func(gitport.Repo) Credentials
	// URLFor returns the clone URL of a repository: https://, http://,
	// ssh://, git@host:owner/name.git or file://. Default DefaultURL: the
	// repository's own URL, so that its scheme decides the transport.
	// Credentials in the URL are taken out of it and used as basic auth
	// when CredentialsFor gives none.
	URLFor func(gitport.Repo) string
	// WebURL returns the web URL of a commit, "" when unknown. Default
	// CommitURL.
	WebURL func(repo gitport.Repo, sha string) string
	// HTTPClient carries the HTTP(S) requests (the service wraps its
	// transport with metrics). Default: a client on a clone of
	// http.DefaultTransport, with no overall timeout (ctx bounds Apply).
	HTTPClient *http.Client
	// Author and Committer of the commits. Default "hnp-gitops
	// <hnp-gitops@users.noreply.github.com>" for both; an empty Committer
	// is the Author.
	Author, Committer gitport.Identity
	// Wanted names the paths of an FGD listing whose content the plan
	// needs. Default fgd.Wanted.
	Wanted func([]fgd.Entry) []string
	// MaxAttempts bounds the fetch-plan-push rounds of one Apply. Default 5.
	MaxAttempts int
	// Now stamps the commits. Default time.Now.
	Now func() time.Time
	// Rand returns a number in [0, 1) for jitter. Default math/rand/v2.
	Rand func() float64
	// Sleep waits between attempts. Default: a timer that honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Remote is the repository port over the git protocol. It is safe for
// concurrent use; work on one repository and branch is serialised.
type Remote struct {
	o      Options
	http   transport.Transport // go-git's smart-HTTP client on o.HTTPClient
	ssh    transport.Transport
	rounds gitport.Rounds
}

// New returns the port with defaults filled in.
func New(o Options) *Remote {
	if o.CredentialsFor == nil {
		o.CredentialsFor = func(gitport.Repo) Credentials { return Credentials{} }
	}
	if o.URLFor == nil {
		o.URLFor = DefaultURL
	}
	if o.WebURL == nil {
		o.WebURL = CommitURL
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if o.Author == (gitport.Identity{}) {
		o.Author = gitport.Identity{Name: "hnp-gitops", Email: "hnp-gitops@users.noreply.github.com"}
	}
	if o.Committer == (gitport.Identity{}) {
		o.Committer = o.Author
	}
	if o.Wanted == nil {
		o.Wanted = fgd.Wanted
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Sleep == nil {
		o.Sleep = gitport.SleepCtx
	}
	r := &Remote{o: o, http: githttp.NewClient(o.HTTPClient), ssh: gitssh.NewClient(nil)}
	r.rounds = gitport.Rounds{Max: o.MaxAttempts, Sleep: o.Sleep, Rand: o.Rand,
		Fail: func(t gitport.Target, class gitport.Class, op, msg string, err error) error {
			return newError(class, t.Repo, op, msg, err)
		}}
	return r
}

// DefaultURL is the clone URL URLFor gives by default: the repository's
// URL as NetBox holds it (without credentials), whose scheme decides the
// transport; https://host/owner/name.git for a Repo without one. Which
// credentials exist never changes the transport: an https URL stays HTTPS
// when an SSH key is configured.
func DefaultURL(r gitport.Repo) string {
	if r.URL != "" {
		return r.URL
	}
	return "https://" + r.Host + "/" + r.Owner + "/" + r.Name + ".git"
}

// CommitURL is a best-effort web URL of a commit: GitLab hosts (a host name
// starting with "gitlab.") use /-/commit/, Bitbucket Cloud /commits/,
// Azure DevOps has no owner/name form and gets "", everything else (Gitea,
// Forgejo, GitHub-like) /commit/. A repository whose URL is plain http://
// gets an http:// link on the same host and port; all others https://.
func CommitURL(r gitport.Repo, sha string) string {
	if sha == "" || r.Host == "" {
		return ""
	}
	host := strings.ToLower(r.Host)
	scheme := "https://"
	if r.Scheme() == gitport.SchemeHTTP {
		scheme = "http://"
	}
	base := scheme + r.Host + "/" + r.Owner + "/" + r.Name
	switch {
	case host == "dev.azure.com", strings.HasSuffix(host, ".visualstudio.com"), strings.HasPrefix(host, "ssh.dev.azure.com"):
		return ""
	case host == "gitlab.com", strings.HasPrefix(host, "gitlab."):
		return base + "/-/commit/" + sha
	case host == "bitbucket.org":
		return base + "/commits/" + sha
	}
	return base + "/commit/" + sha
}

// Apply reads the FGDs dirs at the head of t.Branch, calls plan, drops the
// changes the tree already satisfies and pushes the rest as one commit on
// top of that head, naming the head as the ref's old value. When the branch
// moved it fetches and re-plans, up to MaxAttempts rounds with jitter. It
// never forces. When nothing differs it pushes nothing and returns
// Changed=false.
//
// An empty repository (no ref at all) gets the plan as its first commit on
// t.Branch. A missing branch is created from the remote's HEAD branch when
// t.CreateMissingBranch (in the same push as the commit), else it is
// ClassNotFound. Pull-request mode is ClassInvalid.
func (r *Remote) Apply(ctx context.Context, t gitport.Target, dirs []string, plan gitport.PlanFunc) (gitport.Result, error) {
	if err := validateTarget(t, dirs); err != nil {
		return gitport.Result{}, err
	}
	return r.rounds.Run(ctx, t, func() (func() (gitport.Result, error), error) {
		s, err := r.session(t.Repo)
		if err != nil {
			return nil, err
		}
		return func() (gitport.Result, error) { return s.attempt(ctx, t, dirs, plan) }, nil
	})
}

func validateTarget(t gitport.Target, dirs []string) error {
	bad := func(msg string) error { return newError(gitport.ClassInvalid, t.Repo, "apply", msg, nil) }
	if t.Repo.Host == "" {
		return bad("repository host is required")
	}
	if t.PullRequestBranch != "" {
		return bad("pull-request mode is not supported for generic git repositories (it needs the host's API); push to the branch directly or use a GitHub repository")
	}
	return gitport.CheckTarget(t, dirs, bad)
}
