package githubapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/google/go-github/v62/github"
)

// defaultRateLimitWait is what GitHub asks integrators to wait when a rate
// limit gives no hint.
const defaultRateLimitWait = time.Minute

// classify turns what go-github returned into an *Error naming the repository
// and the operation. GitHub's own message is kept; go-github's error text
// (which contains the request URL) is only reachable through Unwrap.
func classify(repo gitport.Repo, op string, err error) *gitport.Error {
	e := &gitport.Error{Repo: repo, Op: op, Err: err}
	var (
		rle *github.RateLimitError
		abe *github.AbuseRateLimitError
		er  *github.ErrorResponse
	)
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.Class, e.Message = gitport.ClassTransient, "cancelled or timed out"
	case errors.As(err, &rle):
		e.Class, e.StatusCode, e.Message = gitport.ClassRateLimited, statusOf(rle.Response), "API rate limit exceeded"
		e.RetryAfter = max(time.Until(rle.Rate.Reset.Time), time.Second)
	case errors.As(err, &abe):
		e.Class, e.StatusCode, e.Message = gitport.ClassRateLimited, statusOf(abe.Response), "secondary rate limit"
		e.RetryAfter = defaultRateLimitWait
		if abe.RetryAfter != nil {
			e.RetryAfter = *abe.RetryAfter
		}
	case errors.As(err, &er):
		classifyResponse(e, er)
	default:
		// Network errors and timeouts that outlived the transport's retries.
		e.Class, e.Message = gitport.ClassTransient, "request failed"
		var te interface{ Timeout() bool }
		if errors.As(err, &te) && te.Timeout() {
			e.Message = "request timed out"
		}
		if cause := networkCause(err); cause != "" {
			e.Message += ": " + cause
		}
	}
	return e
}

func classifyResponse(e *gitport.Error, er *github.ErrorResponse) {
	e.StatusCode = statusOf(er.Response)
	e.Message = er.Message
	if e.Message == "" {
		e.Message = http.StatusText(e.StatusCode)
	}
	msg := strings.ToLower(er.Message)
	var h http.Header
	if er.Response != nil {
		h = er.Response.Header
	}
	switch c := e.StatusCode; {
	case c == http.StatusTooManyRequests || (c == http.StatusForbidden && (isRateLimited(h) || strings.Contains(msg, "rate limit"))):
		e.Class = gitport.ClassRateLimited
		e.RetryAfter = defaultRateLimitWait
		if w, ok := rateLimitWait(h, time.Now()); ok {
			e.RetryAfter = w
		}
	case c == http.StatusUnauthorized, c == http.StatusForbidden:
		e.Class = gitport.ClassAuth
	case c == http.StatusNotFound:
		e.Class = gitport.ClassNotFound
	case (c == http.StatusConflict || c == http.StatusUnprocessableEntity) && mentionsProtection(msg):
		e.Class = gitport.ClassProtected
	case c == http.StatusConflict && strings.Contains(msg, "empty"):
		e.Class = gitport.ClassEmpty
	case c == http.StatusConflict,
		c == http.StatusUnprocessableEntity && (strings.Contains(msg, "fast forward") || strings.Contains(msg, "already exists")):
		e.Class = gitport.ClassConflict
	case c >= 500:
		e.Class = gitport.ClassTransient
	default:
		e.Class = gitport.ClassInvalid
	}
}

func mentionsProtection(msg string) bool {
	return strings.Contains(msg, "protected") || strings.Contains(msg, "rule violation") || strings.Contains(msg, "ruleset")
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

// networkCause is what the network said, without the request's URL: the
// dial or read that failed, or the name that did not resolve.
func networkCause(err error) string {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		return dns.Error()
	case errors.As(err, &op):
		return op.Error()
	}
	return ""
}
