package gitremote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/redact"
)

// Error is a failed git operation. It wraps a *gitport.Error, so that
// gitport.ClassOf, errors.As and Retryable work as for the GitHub port,
// while its text names git rather than GitHub.
type Error struct{ e *gitport.Error }

func (e *Error) Error() string {
	msg := fmt.Sprintf("git: %s: %s", e.e.Repo, e.e.Op)
	if e.e.Message != "" {
		msg += ": " + e.e.Message
	}
	return msg
}

// Unwrap returns the *gitport.Error.
func (e *Error) Unwrap() error { return e.e }

// Class is the class of the error.
func (e *Error) Class() gitport.Class { return e.e.Class }

func newError(class gitport.Class, repo gitport.Repo, op, msg string, cause error) error {
	return &Error{e: &gitport.Error{Class: class, Repo: repo, Op: op, Message: msg, Err: cause}}
}

// defaultRateLimitWait is the wait of a 429 without Retry-After.
const defaultRateLimitWait = time.Minute

// scrubber removes secrets from text that came from go-git or the remote:
// the configured password/token literally, and the userinfo of any URL.
type scrubber struct{ secrets []string }

func (s scrubber) scrub(text string) string {
	return redact.URLUserinfo(redact.Secrets(text, s.secrets...))
}

// secretCause keeps the cause reachable for errors.Is and errors.As while its
// text is scrubbed, so that no caller can print a credential by accident.
type secretCause struct {
	msg string
	err error
}

func (c *secretCause) Error() string { return c.msg }
func (c *secretCause) Unwrap() error { return c.err }

// classify turns a transport error into an *Error naming the operation.
func (s scrubber) classify(repo gitport.Repo, op string, err error) error {
	var mine *Error
	if errors.As(err, &mine) {
		return err
	}
	cause := &secretCause{msg: s.scrub(err.Error()), err: err}
	text := strings.ToLower(cause.msg)
	class, msg := gitport.ClassTransient, cause.msg
	// go-git wraps network errors in a *plumbing.UnexpectedError that does
	// not unwrap: look inside it too.
	inner := err
	var ue *plumbing.UnexpectedError
	if errors.As(err, &ue) && ue.Err != nil {
		inner = ue.Err
	}
	var ne net.Error
	if c, m, ok := cannotHeal(inner, cause.msg); ok {
		return &Error{e: &gitport.Error{Class: c, Repo: repo, Op: op, Message: m, Err: cause}}
	}
	switch {
	case errors.Is(inner, context.Canceled), errors.Is(inner, context.DeadlineExceeded):
		msg = "cancelled or timed out"
	case errors.Is(err, transport.ErrAuthenticationRequired):
		class, msg = gitport.ClassAuth, "authentication required or refused (check the username and token)"
	case errors.Is(err, transport.ErrAuthorizationFailed):
		class, msg = gitport.ClassAuth, "authorization failed (the credentials may not access this repository)"
	case errors.Is(err, transport.ErrInvalidAuthMethod):
		class, msg = gitport.ClassInvalid, "credentials of the wrong kind for this URL (HTTPS wants a username and token, SSH a key file)"
	case errors.Is(err, transport.ErrRepositoryNotFound):
		class, msg = gitport.ClassNotFound, "repository not found, or the credentials cannot see it"
	case strings.Contains(text, "unable to authenticate"), strings.Contains(text, "permission denied"):
		class, msg = gitport.ClassAuth, "SSH authentication failed: "+cause.msg
	case strings.Contains(text, "knownhosts"), strings.Contains(text, "host key"):
		class, msg = gitport.ClassAuth, "SSH host key not accepted by known_hosts: "+cause.msg
	case errors.As(inner, &ne), errors.Is(inner, io.ErrUnexpectedEOF), errors.Is(inner, io.EOF):
		if ne != nil && ne.Timeout() {
			msg = "request timed out"
		}
	}
	ge := &gitport.Error{Class: class, Repo: repo, Op: op, Message: msg, Err: cause}
	if code, h := httpStatus(err); code != 0 {
		ge.StatusCode = code
		switch {
		case code == http.StatusTooManyRequests:
			ge.Class, ge.Message = gitport.ClassRateLimited, "rate limited"
			ge.RetryAfter = defaultRateLimitWait
			if secs, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && secs > 0 {
				ge.RetryAfter = time.Duration(secs) * time.Second
			}
		case code >= 500:
			ge.Class, ge.Message = gitport.ClassTransient, fmt.Sprintf("server error %d", code)
		case code == http.StatusBadRequest && repo.Scheme() == gitport.SchemeHTTP:
			ge.Class, ge.Message = gitport.ClassInvalid, "refused with 400 (an HTTPS server answers a plain-HTTP request so: check the URL's scheme)"
		case code >= 400:
			ge.Class, ge.Message = gitport.ClassInvalid, fmt.Sprintf("refused with %d", code)
		}
	}
	return &Error{e: ge}
}

// cannotHeal recognises the failures no retry can fix, whatever the
// transport says around them: the TLS certificate is not trusted or not
// for this host, an https URL meets a server without TLS, the SSH host key
// is unknown or changed. text is the scrubbed cause, quoted in the message.
func cannotHeal(err error, text string) (gitport.Class, string, bool) {
	var (
		unknownCA x509.UnknownAuthorityError
		wrongHost x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		hostKey   *knownhosts.KeyError
	)
	lower := strings.ToLower(text)
	switch {
	case errors.As(err, &unknownCA):
		return gitport.ClassInvalid, "TLS: the server's certificate is signed by an unknown authority " +
			"(trust a private CA with --ca-file): " + text, true
	case errors.As(err, &wrongHost):
		return gitport.ClassInvalid, "TLS: the server's certificate is not valid for this host name: " + text, true
	case errors.As(err, &invalid):
		return gitport.ClassInvalid, "TLS: the server's certificate is not valid (expired, or not for serving): " + text, true
	case errors.As(err, &record), strings.Contains(lower, "server gave http response to https client"):
		return gitport.ClassInvalid, "TLS: the URL says https but the server does not speak TLS " +
			"(a plain-HTTP server wants an http:// URL): " + text, true
	case errors.As(err, &hostKey) && len(hostKey.Want) == 0:
		return gitport.ClassAuth, "SSH: the server's host key is not in known_hosts " +
			"(add it to --git-known-hosts-file after checking it): " + text, true
	case errors.As(err, &hostKey):
		return gitport.ClassAuth, "SSH: the server's host key does not match known_hosts " +
			"(a changed key, or someone in the middle): " + text, true
	}
	return "", "", false
}

// httpStatus digs the HTTP status out of go-git's unexpected-status error,
// which does not unwrap.
func httpStatus(err error) (int, http.Header) {
	var ue *plumbing.UnexpectedError
	var he *githttp.Err
	switch {
	case errors.As(err, &he):
	case errors.As(err, &ue) && errors.As(ue.Err, &he):
	default:
		return 0, nil
	}
	if he.Response == nil {
		return 0, nil
	}
	return he.Response.StatusCode, he.Response.Header
}

// classifyPush sorts a refused ref update by the reason the server gave
// ("ng <ref> <reason>") and what the hooks printed.
func classifyPush(repo gitport.Repo, op, reason, remote string) error {
	r := strings.ToLower(reason)
	msg := reason
	if remote != "" {
		msg += " (remote: " + remote + ")"
	}
	switch {
	case strings.Contains(r, "fetch first"), strings.Contains(r, "non-fast-forward"), strings.Contains(r, "stale info"),
		strings.Contains(r, "failed to lock"), strings.Contains(r, "failed to update ref"), strings.Contains(r, "cannot lock"),
		strings.Contains(r, "already exists"), strings.Contains(r, "incorrect old value"):
		return newError(gitport.ClassConflict, repo, op, msg, nil)
	case strings.Contains(r, "hook declined"), strings.Contains(r, "protected"), strings.Contains(r, "not allowed"),
		strings.Contains(r, "denied"), strings.Contains(r, "declined"), strings.Contains(r, "rejected"),
		strings.Contains(r, "not permitted"), strings.Contains(r, "permission"), strings.Contains(r, "deny"), strings.Contains(r, "prohibited"):
		return newError(gitport.ClassProtected, repo, op, msg, nil)
	}
	return newError(gitport.ClassTransient, repo, op, msg, nil)
}
