package gitport

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// Repo names a repository on a git host.
type Repo struct {
	Host  string // "github.com", a GitHub Enterprise host, or any git host (with its port for http and https)
	Owner string
	Name  string
	// URL is the repository's URL as NetBox holds it, credentials taken
	// out (ParseURL fills it). Its scheme decides how the generic git
	// adapter reaches the repository and which credentials it may send.
	// "" for a Repo named by hand: https://Host/Owner/Name.git.
	URL string
}

// String names the repository, whatever the URL's form: two URLs of one
// repository (https and ssh) name the same repository and writer lock.
func (r Repo) String() string { return r.Host + "/" + r.Owner + "/" + r.Name }

// The transports a repository URL can name.
const (
	SchemeHTTPS = "https"
	SchemeHTTP  = "http" // plain HTTP: no TLS, a token is sent only when the operator allows it
	SchemeSSH   = "ssh"  // ssh://... and the scp-like git@host:owner/name
)

// Scheme is the transport r.URL names: SchemeHTTPS, SchemeHTTP or
// SchemeSSH; SchemeHTTPS when there is no URL.
func (r Repo) Scheme() string {
	scheme, _, found := strings.Cut(r.URL, "://")
	switch {
	case r.URL == "":
		return SchemeHTTPS
	case !found:
		return SchemeSSH
	}
	return strings.ToLower(scheme)
}

// Target is where a change set lands.
type Target struct {
	Repo   Repo
	Branch string // the branch Argo CD / Flux watch
	// CreateMissingBranch creates Branch from the repository's default
	// branch when it does not exist; otherwise a missing branch is a
	// terminal error.
	CreateMissingBranch bool
	// PullRequestBranch, when set, switches to pull-request mode: the
	// commit goes to this branch (created from, or fast-forwarded to,
	// Branch) and one pull request into Branch is opened or reused.
	PullRequestBranch string
}

// WriterKey is the one key of the per-branch writer lock (KeyedMutex):
// the repository and the branch a write lands on, "host/owner/name@branch".
// In pull-request mode that is the pull-request branch, so two base
// branches sharing one pull-request branch never write it at once.
func (t Target) WriterKey() string {
	b := t.Branch
	if t.PullRequestBranch != "" {
		b = t.PullRequestBranch
	}
	return t.Repo.String() + "@" + b
}

// Identity is a commit author or committer.
type Identity struct{ Name, Email string }

// Proposal is what a PlanFunc wants committed. Paths are relative to the
// repository root. An empty Changes means nothing to do.
type Proposal struct {
	Changes []fgd.Change
	Message string
}

// PlanFunc computes the change set from the FGDs at head: dirs maps each FGD
// path (as given to Apply; "" is the repository root) to its snapshot, whose
// paths are relative to that FGD. It is called again after the branch moved,
// so it must be pure.
type PlanFunc func(head string, dirs map[string]fgd.Snapshot) (Proposal, error)

// Result is the outcome of Apply.
type Result struct {
	Head           string // the branch head after Apply (the new commit when Changed)
	Changed        bool   // false: the tree already matched and nothing was written
	CommitURL      string // web URL of the new commit (or of Head when unchanged)
	PullRequestURL string // pull-request mode only
	Attempts       int    // compare-and-swap attempts, 1 when the branch did not move
}

// Class sorts errors by what the caller should do about them.
type Class string

// The error classes of ../shared/design/github.md.
const (
	ClassConflict    Class = "conflict"     // the branch moved: recompute and retry at once
	ClassRateLimited Class = "rate_limited" // wait RetryAfter, then retry
	ClassTransient   Class = "transient"    // 5xx, timeout, reset: retry with backoff
	ClassNotFound    Class = "not_found"    // repository or branch missing (or hidden): terminal
	ClassAuth        Class = "auth"         // bad or insufficient credentials: terminal
	ClassProtected   Class = "protected"    // protected branch or ruleset: terminal for direct push
	ClassEmpty       Class = "empty"        // the repository has no commit yet
	ClassInvalid     Class = "invalid"      // the request or the repository URL is unusable: terminal
)

// Error is a failed repository operation.
type Error struct {
	Class      Class
	Repo       Repo
	Op         string // e.g. "update ref heads/main"
	StatusCode int
	Message    string        // GitHub's message, never a token
	RetryAfter time.Duration // for ClassRateLimited
	Err        error
}

func (e *Error) Error() string {
	return ErrorText(fmt.Sprintf("github: %s: %s", e.Repo, e.Op), e.StatusCode, e.Message)
}

// ErrorText is the one form of a git host's error: what was done, then
// the host's status code and message when there are any.
func ErrorText(what string, code int, message string) string {
	if code != 0 {
		what += fmt.Sprintf(": %d", code)
	}
	if message != "" {
		what += ": " + message
	}
	return what
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same work may succeed later.
func (e *Error) Retryable() bool {
	switch e.Class {
	case ClassConflict, ClassRateLimited, ClassTransient:
		return true
	}
	return false
}

// ClassOf returns the class of err, or "" when err is not an *Error.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ""
}
