package githubapi

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// GitHubOptions configures the GitHub implementation of the port. The zero
// value works against github.com without a token.
type GitHubOptions struct {
	// APIURL is the API base for github.com repositories.
	// Default https://api.github.com/.
	APIURL string
	// EnterpriseAPIURL maps another host to its API base.
	// Default https://<host>/api/v3/.
	EnterpriseAPIURL func(host string) string
	// TokenFor returns the token for a repository ("" for none).
	TokenFor func(gitport.Repo) string
	// TokenSource, when set, is used instead of TokenFor: it returns the
	// token for a repository at the start of each Apply (e.g. a GitHub
	// App installation token, see internal/githubapi/githubapp). An error fails the
	// Apply with an *Error naming the repository: ClassTransient when the
	// error has a Temporary() bool method answering true (or ctx ended),
	// else ClassAuth.
	TokenSource func(ctx context.Context, repo gitport.Repo) (string, error)
	// Transport is the base transport under the retrying client (the
	// service wraps it with metrics). Default http.DefaultTransport.
	Transport http.RoundTripper
	// Author and Committer of the commits. Empty: GitHub uses the token's
	// identity (and marks commits of a GitHub App as verified).
	Author, Committer gitport.Identity
	// Wanted names the paths of an FGD listing whose content the plan
	// needs. Default fgd.Wanted; pass fgd.WantedWith with the engine's
	// limits when they are not fgd.DefaultLimits.
	Wanted func([]fgd.Entry) []string

	// MaxAttempts bounds the compare-and-swap attempts of one Apply.
	// Default 5.
	MaxAttempts int
	// RetryMax is how many times one request is retried on 5xx, network
	// errors, timeouts and short rate limits. Default 4; negative: 0.
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between
	// retries. Defaults 500ms and 10s.
	RetryWaitMin, RetryWaitMax time.Duration
	// MaxRetryAfter is the longest rate-limit wait done inside a request;
	// longer ones are returned as ClassRateLimited with RetryAfter.
	// Default 60s.
	MaxRetryAfter time.Duration
	// RequestTimeout bounds one HTTP attempt. Default 30s.
	RequestTimeout time.Duration
	// Sleep waits between compare-and-swap attempts. Default: a timer that
	// honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for jitter. Default math/rand/v2.
	Rand func() float64
}

// GitHub is the GitHub adapter of the repository port (github.com and
// GitHub Enterprise). It is safe for concurrent use; work on one branch is
// serialised (gitport.Target.WriterKey).
type GitHub struct {
	opts   GitHubOptions
	http   *http.Client
	rounds gitport.Rounds
}

// NewGitHub returns the GitHub port with defaults filled in.
func NewGitHub(o GitHubOptions) *GitHub {
	if o.APIURL == "" {
		o.APIURL = "https://api.github.com/"
	}
	if !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/"
	}
	if o.EnterpriseAPIURL == nil {
		o.EnterpriseAPIURL = func(host string) string { return "https://" + host + "/api/v3/" }
	}
	if o.TokenFor == nil {
		o.TokenFor = func(gitport.Repo) string { return "" }
	}
	if o.Wanted == nil {
		o.Wanted = fgd.Wanted
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	switch {
	case o.RetryMax == 0:
		o.RetryMax = 4
	case o.RetryMax < 0:
		o.RetryMax = 0
	}
	if o.RetryWaitMin <= 0 {
		o.RetryWaitMin = 500 * time.Millisecond
	}
	if o.RetryWaitMax <= 0 {
		o.RetryWaitMax = 10 * time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = time.Minute
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = gitport.SleepCtx
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	g := &GitHub{opts: o}
	g.http = g.newHTTPClient()
	g.rounds = gitport.Rounds{Max: o.MaxAttempts, Sleep: o.Sleep, Rand: o.Rand, Fail: portError}
	return g
}

func (g *GitHub) rand() float64 { return g.opts.Rand() }

// APIBase returns the API base URL used for repo.
func (g *GitHub) APIBase(repo gitport.Repo) string {
	if repo.Host == "github.com" || repo.Host == "" {
		return g.opts.APIURL
	}
	u := g.opts.EnterpriseAPIURL(repo.Host)
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

// CommitURL is the web URL of a commit.
func CommitURL(repo gitport.Repo, sha string) string {
	return "https://" + repo.Host + "/" + repo.Owner + "/" + repo.Name + "/commit/" + sha
}

// Apply reads the FGDs dirs of t at the branch head, calls plan, drops the
// changes that are already in the tree and lands the rest as one commit
// with compare-and-swap on the branch: on "not a fast forward" it re-reads
// and re-plans on the new head, up to MaxAttempts times. It never forces a
// ref update. When nothing differs it returns Changed=false having made no
// write request.
func (g *GitHub) Apply(ctx context.Context, t gitport.Target, dirs []string, plan gitport.PlanFunc) (gitport.Result, error) {
	if err := validateTarget(t, dirs); err != nil {
		return gitport.Result{}, err
	}
	return g.rounds.Run(ctx, t, func() (func() (gitport.Result, error), error) {
		s, err := g.session(ctx, t.Repo)
		if err != nil {
			return nil, err
		}
		return func() (gitport.Result, error) { return s.attempt(ctx, t, dirs, plan) }, nil
	})
}

func portError(t gitport.Target, class gitport.Class, op, msg string, err error) error {
	return &gitport.Error{Class: class, Repo: t.Repo, Op: op, Message: msg, Err: err}
}

func validateTarget(t gitport.Target, dirs []string) error {
	bad := func(msg string) error {
		return &gitport.Error{Class: gitport.ClassInvalid, Repo: t.Repo, Op: "apply", Message: msg}
	}
	return gitport.CheckTarget(t, dirs, bad)
}

// session is one Apply's view of a repository: a go-github client with the
// repository's token and API base. A client per Apply keeps go-github's
// remembered rate-limit state from leaking between repositories and
// tokens.
type session struct {
	g    *GitHub
	c    *github.Client
	repo gitport.Repo
}

func (g *GitHub) session(ctx context.Context, repo gitport.Repo) (*session, error) {
	base, err := url.Parse(g.APIBase(repo))
	if err != nil || base.Host == "" {
		return nil, &gitport.Error{Class: gitport.ClassInvalid, Repo: repo, Op: "API base URL", Message: "unparseable"}
	}
	tok, err := g.token(ctx, repo)
	if err != nil {
		return nil, err
	}
	c := github.NewClient(g.http)
	if tok != "" {
		c = c.WithAuthToken(tok)
	}
	c.BaseURL = base
	c.UploadURL = base
	c.UserAgent = "hnp-gitops"
	return &session{g: g, c: c, repo: repo}, nil
}

// token is the repository's token from TokenSource, else TokenFor.
func (g *GitHub) token(ctx context.Context, repo gitport.Repo) (string, error) {
	if g.opts.TokenSource == nil {
		return g.opts.TokenFor(repo), nil
	}
	tok, err := g.opts.TokenSource(ctx, repo)
	if err == nil {
		return tok, nil
	}
	class := gitport.ClassAuth
	var tmp interface{ Temporary() bool }
	if (errors.As(err, &tmp) && tmp.Temporary()) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		class = gitport.ClassTransient
	}
	// The source's message is kept (it must not contain a secret); it names
	// what the operator has to fix, such as an App not installed.
	return "", &gitport.Error{Class: class, Repo: repo, Op: "get token", Message: err.Error(), Err: err}
}

func (s *session) fail(op string, err error) error { return classify(s.repo, op, err) }

func (s *session) author() *github.CommitAuthor    { return identity(s.g.opts.Author) }
func (s *session) committer() *github.CommitAuthor { return identity(s.g.opts.Committer) }

func identity(id gitport.Identity) *github.CommitAuthor {
	if id.Name == "" && id.Email == "" {
		return nil
	}
	return &github.CommitAuthor{Name: github.String(id.Name), Email: github.String(id.Email)}
}

// attempt is one read-plan-write round.
func (s *session) attempt(ctx context.Context, t gitport.Target, dirs []string, plan gitport.PlanFunc) (gitport.Result, error) {
	head, err := s.resolveHead(ctx, t)
	wroteFirst := false
	if gitport.ClassOf(err) == gitport.ClassEmpty {
		if head, wroteFirst, err = s.initEmpty(ctx, t, dirs, plan); err != nil || head == "" {
			return gitport.Result{}, err
		}
	} else if err != nil {
		return gitport.Result{}, err
	}
	commit, _, err := s.c.Git.GetCommit(ctx, s.repo.Owner, s.repo.Name, head)
	if err != nil {
		return gitport.Result{}, s.fail("get commit "+head, err)
	}
	baseTree := commit.GetTree().GetSHA()
	ht, err := s.readTree(ctx, baseTree, dirs)
	if err != nil {
		return gitport.Result{}, err
	}
	snaps, err := s.snapshots(ctx, ht, dirs)
	if err != nil {
		return gitport.Result{}, err
	}
	prop, err := plan(head, snaps)
	if err != nil {
		return gitport.Result{}, fmt.Errorf("github: %s: plan: %w", s.repo, err)
	}
	changes, err := ht.effective(prop.Changes, dirs)
	if err != nil {
		return gitport.Result{}, &gitport.Error{Class: gitport.ClassInvalid, Repo: s.repo, Op: "plan", Message: err.Error(), Err: err}
	}
	unchanged := gitport.Result{Head: head, Changed: wroteFirst, CommitURL: CommitURL(s.repo, head)}
	if t.PullRequestBranch != "" {
		return s.applyPR(ctx, t, head, baseTree, ht, changes, message(prop), unchanged)
	}
	if len(changes) == 0 {
		return unchanged, nil
	}
	sha, err := s.writeCommit(ctx, baseTree, "", ht, changes, message(prop), []string{head})
	if err != nil || sha == "" {
		return unchanged, err
	}
	ref := "refs/heads/" + t.Branch
	if _, _, err := s.c.Git.UpdateRef(ctx, s.repo.Owner, s.repo.Name, &github.Reference{
		Ref: github.String(ref), Object: &github.GitObject{SHA: github.String(sha)},
	}, false); err != nil {
		return unchanged, s.fail("update ref heads/"+t.Branch, err)
	}
	return gitport.Result{Head: sha, Changed: true, CommitURL: CommitURL(s.repo, sha)}, nil
}

func message(p gitport.Proposal) string {
	if strings.TrimSpace(p.Message) == "" {
		return "Update GitOps directories"
	}
	return p.Message
}

// resolveHead returns the branch head. An empty repository gives a
// ClassEmpty error; a missing branch is created from the default branch
// when t.CreateMissingBranch, else it is a terminal ClassNotFound.
func (s *session) resolveHead(ctx context.Context, t gitport.Target) (string, error) {
	ref, _, err := s.c.Git.GetRef(ctx, s.repo.Owner, s.repo.Name, "heads/"+t.Branch)
	if err == nil {
		return ref.GetObject().GetSHA(), nil
	}
	e := classify(s.repo, "get ref heads/"+t.Branch, err)
	if e.Class != gitport.ClassNotFound {
		return "", e
	}
	// Tell a missing (or hidden) repository from a missing branch.
	r, _, err := s.c.Repositories.Get(ctx, s.repo.Owner, s.repo.Name)
	if err != nil {
		e := classify(s.repo, "get repository", err)
		if e.Class == gitport.ClassNotFound {
			e.Message = "repository not found, or the token cannot see it"
		}
		return "", e
	}
	if !t.CreateMissingBranch {
		return "", &gitport.Error{Class: gitport.ClassNotFound, Repo: s.repo, Op: "get ref heads/" + t.Branch, StatusCode: http.StatusNotFound,
			Message: fmt.Sprintf("branch %q does not exist (and creating it is not enabled)", t.Branch)}
	}
	def := r.GetDefaultBranch()
	dref, _, err := s.c.Git.GetRef(ctx, s.repo.Owner, s.repo.Name, "heads/"+def)
	if err != nil {
		e := classify(s.repo, "get ref heads/"+def+" (default branch)", err)
		if e.Class == gitport.ClassNotFound {
			// A repository without its default branch has no commit we
			// could start from.
			e.Class = gitport.ClassEmpty
		}
		return "", e
	}
	sha := dref.GetObject().GetSHA()
	if _, _, err := s.c.Git.CreateRef(ctx, s.repo.Owner, s.repo.Name, &github.Reference{
		Ref: github.String("refs/heads/" + t.Branch), Object: &github.GitObject{SHA: github.String(sha)},
	}); err != nil {
		return "", s.fail("create ref heads/"+t.Branch, err)
	}
	return sha, nil
}

// initEmpty gives an empty repository its first commit through the Contents
// API, the only API that works before one exists: it writes the first file
// the plan wants (planned on empty FGDs) onto t.Branch, and returns the new
// head. The rest of the plan follows as a second commit. A plan with nothing
// to write leaves the repository empty and returns head "".
func (s *session) initEmpty(ctx context.Context, t gitport.Target, dirs []string, plan gitport.PlanFunc) (string, bool, error) {
	snaps := make(map[string]fgd.Snapshot, len(dirs))
	for _, d := range dirs {
		snaps[d] = fgd.Snapshot{Contents: map[string][]byte{}}
	}
	prop, err := plan("", snaps)
	if err != nil {
		return "", false, fmt.Errorf("github: %s: plan: %w", s.repo, err)
	}
	ht := &headTree{index: map[string]fgd.Entry{}}
	changes, err := ht.effective(prop.Changes, dirs)
	if err != nil {
		return "", false, &gitport.Error{Class: gitport.ClassInvalid, Repo: s.repo, Op: "plan", Message: err.Error(), Err: err}
	}
	if len(changes) == 0 {
		return "", false, nil
	}
	first := changes[0]
	res, _, err := s.c.Repositories.CreateFile(ctx, s.repo.Owner, s.repo.Name, first.path, &github.RepositoryContentFileOptions{
		Message:   github.String(message(prop)),
		Content:   append([]byte{}, first.content...), // never null, even for an empty file
		Branch:    github.String(t.Branch),
		Author:    s.author(),
		Committer: s.committer(),
	})
	if err != nil {
		e := classify(s.repo, "create first commit (contents "+first.path+")", err)
		if e.Class == gitport.ClassInvalid && e.StatusCode == http.StatusUnprocessableEntity {
			// Someone else created the first commit meanwhile.
			e.Class = gitport.ClassConflict
		}
		return "", false, e
	}
	return res.Commit.GetSHA(), true, nil
}

// change is one effective change: a path to write (with its blob SHA) or to
// delete (with the mode and type it has in the head tree).
type change struct {
	path    string
	del     bool
	content []byte
	sha     string
	ref     bool // sha is a blob of the head tree; content is nil
	mode    string
	typ     string
}

// writeCommit creates the tree and the commit, without moving any ref. It
// returns "" when the new tree equals the base tree or sameAs (the first
// parent's tree, when that is not the base): no empty commits.
func (s *session) writeCommit(ctx context.Context, baseTree, sameAs string, ht *headTree, changes []change, msg string, parents []string) (string, error) {
	entries := make([]*github.TreeEntry, 0, len(changes))
	for _, c := range changes {
		e := &github.TreeEntry{Path: github.String(c.path), Mode: github.String(c.mode), Type: github.String(c.typ)}
		switch {
		case c.del:
			// SHA and Content nil: go-github sends "sha": null.
		case c.ref || ht.shas[c.sha]:
			// The blob is already in the repository (a moved file), and
			// a write by reference never has the content at hand.
			e.SHA = github.String(c.sha)
		case utf8Valid(c.content):
			e.Content = github.String(string(c.content))
		default:
			// Inline content must be UTF-8; upload anything else first.
			b, _, err := s.c.Git.CreateBlob(ctx, s.repo.Owner, s.repo.Name, &github.Blob{
				Content: github.String(base64Encode(c.content)), Encoding: github.String("base64"),
			})
			if err != nil {
				return "", s.fail("create blob for "+c.path, err)
			}
			e.SHA = github.String(b.GetSHA())
		}
		entries = append(entries, e)
	}
	tree, _, err := s.c.Git.CreateTree(ctx, s.repo.Owner, s.repo.Name, baseTree, entries)
	if err != nil {
		return "", s.fail("create tree", err)
	}
	if tree.GetSHA() == baseTree || tree.GetSHA() == sameAs {
		return "", nil
	}
	ps := make([]*github.Commit, len(parents))
	for i, p := range parents {
		ps[i] = &github.Commit{SHA: github.String(p)}
	}
	commit, _, err := s.c.Git.CreateCommit(ctx, s.repo.Owner, s.repo.Name, &github.Commit{
		Message:   github.String(msg),
		Tree:      &github.Tree{SHA: tree.SHA},
		Parents:   ps,
		Author:    s.author(),
		Committer: s.committer(),
	}, nil)
	if err != nil {
		return "", s.fail("create commit", err)
	}
	return commit.GetSHA(), nil
}

// applyPR lands changes in pull-request mode. The commit's tree is always
// Branch's head tree plus the changes, so the pull request shows exactly
// them. The pull-request branch only ever moves forward: its new commit has
// the old pull-request head as parent when that still contains Branch's
// head, Branch's head when the pull-request branch is behind it, and both
// (a merge) when they diverged. The branch is never forced.
func (s *session) applyPR(ctx context.Context, t gitport.Target, head, baseTree string, ht *headTree, changes []change, msg string, unchanged gitport.Result) (gitport.Result, error) {
	if len(changes) == 0 {
		// Branch already holds the wanted content: nothing to propose.
		return unchanged, nil
	}
	o, n := s.repo.Owner, s.repo.Name
	prRef := "heads/" + t.PullRequestBranch
	var prHead string
	ref, _, err := s.c.Git.GetRef(ctx, o, n, prRef)
	switch {
	case err == nil:
		prHead = ref.GetObject().GetSHA()
	case classify(s.repo, "", err).Class != gitport.ClassNotFound:
		return unchanged, s.fail("get ref "+prRef, err)
	}
	parents := []string{head}
	var sha string
	if prHead != "" && prHead != head {
		cmp, _, err := s.c.Repositories.CompareCommits(ctx, o, n, head, prHead, nil)
		if err != nil {
			return unchanged, s.fail("compare "+t.Branch+"..."+t.PullRequestBranch, err)
		}
		switch cmp.GetStatus() {
		case "ahead", "identical":
			parents = []string{prHead}
			if sameDiff(cmp.Files, changes) {
				// The pull-request branch already proposes exactly this.
				sha = prHead
			}
		case "behind":
			parents = []string{head}
		default:
			parents = []string{prHead, head}
		}
	}
	changed := false
	if sha == "" {
		sameAs := ""
		if parents[0] == prHead && prHead != head {
			// The comparison may not list every file (GitHub caps it):
			// never commit the PR head's own tree on top of it.
			c, _, err := s.c.Git.GetCommit(ctx, o, n, prHead)
			if err != nil {
				return unchanged, s.fail("get commit "+prHead, err)
			}
			sameAs = c.GetTree().GetSHA()
		}
		if sha, err = s.writeCommit(ctx, baseTree, sameAs, ht, changes, msg, parents); err != nil {
			return unchanged, err
		}
	}
	switch {
	case sha == "" && prHead == "":
		return unchanged, nil
	case sha == "":
		sha = prHead // it already holds exactly this tree
	case sha != prHead:
		newRef := &github.Reference{Ref: github.String("refs/" + prRef), Object: &github.GitObject{SHA: github.String(sha)}}
		if prHead == "" {
			_, _, err = s.c.Git.CreateRef(ctx, o, n, newRef)
		} else {
			_, _, err = s.c.Git.UpdateRef(ctx, o, n, newRef, false)
		}
		if err != nil {
			return unchanged, s.fail("move ref "+prRef, err)
		}
		changed = true
	}
	url, err := s.ensurePR(ctx, t, msg)
	res := gitport.Result{Head: sha, Changed: changed, CommitURL: CommitURL(s.repo, sha), PullRequestURL: url}
	return res, err
}

// sameDiff reports whether the files a comparison lists are exactly
// changes (renames count as a removal and an addition).
func sameDiff(files []*github.CommitFile, changes []change) bool {
	got := map[string]string{}
	for _, f := range files {
		switch f.GetStatus() {
		case "removed":
			got[f.GetFilename()] = ""
		case "renamed":
			got[f.GetPreviousFilename()] = ""
			got[f.GetFilename()] = f.GetSHA()
		default:
			got[f.GetFilename()] = f.GetSHA()
		}
	}
	if len(got) != len(changes) {
		return false
	}
	for _, c := range changes {
		want := c.sha
		if c.del {
			want = ""
		}
		if sha, ok := got[c.path]; !ok || sha != want {
			return false
		}
	}
	return true
}

// ensurePR returns the URL of the open pull request from the pull-request
// branch into Branch, opening one when there is none.
func (s *session) ensurePR(ctx context.Context, t gitport.Target, msg string) (string, error) {
	o, n := s.repo.Owner, s.repo.Name
	list := func() (string, error) {
		prs, _, err := s.c.PullRequests.List(ctx, o, n, &github.PullRequestListOptions{
			State: "open", Head: o + ":" + t.PullRequestBranch, Base: t.Branch,
		})
		if err != nil {
			return "", s.fail("list pull requests", err)
		}
		if len(prs) > 0 {
			return prs[0].GetHTMLURL(), nil
		}
		return "", nil
	}
	if u, err := list(); err != nil || u != "" {
		return u, err
	}
	title, body, _ := strings.Cut(msg, "\n")
	pr, _, err := s.c.PullRequests.Create(ctx, o, n, &github.NewPullRequest{
		Title: github.String(title), Head: github.String(t.PullRequestBranch),
		Base: github.String(t.Branch), Body: github.String(strings.TrimSpace(body)),
	})
	if err != nil {
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnprocessableEntity {
			// Opened by someone else meanwhile ("A pull request already exists").
			if u, lerr := list(); lerr == nil && u != "" {
				return u, nil
			}
		}
		return "", s.fail("create pull request", err)
	}
	return pr.GetHTMLURL(), nil
}
