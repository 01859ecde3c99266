package githubapi

import (
	"context"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// newHTTPClient returns the client go-github speaks through: retries happen
// here, below go-github, so go-github only ever sees the last answer. Waits
// GitHub asks for that are longer than maxRetryAfter are not waited here:
// the answer goes up and becomes a ClassRateLimited error with RetryAfter,
// for the caller's queue to honour.
func (g *GitHub) newHTTPClient() *http.Client {
	base := g.opts.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	rc := &retryablehttp.Client{
		HTTPClient:   &http.Client{Transport: base, Timeout: g.opts.RequestTimeout},
		RetryWaitMin: g.opts.RetryWaitMin,
		RetryWaitMax: g.opts.RetryWaitMax,
		RetryMax:     g.opts.RetryMax,
		CheckRetry:   g.checkRetry,
		Backoff:      g.backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	return &http.Client{Transport: closeAtEOF{&retryablehttp.RoundTripper{Client: rc}}}
}

// closeAtEOF closes a response body as soon as it has been read to its end.
// go-github reads an error answer to its end and then swaps the body for a
// copy without closing the original, which is the inner client's timeout
// body: its timer (a goroutine when the transport is wrapped, as the
// metrics wrap it) would otherwise live until RequestTimeout for every
// error answer.
type closeAtEOF struct{ rt http.RoundTripper }

func (t closeAtEOF) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		resp.Body = &eofCloser{rc: resp.Body}
	}
	return resp, err
}

// eofCloser is a body that closes itself at EOF; after that, Read answers
// EOF and Close is a no-op.
type eofCloser struct {
	rc     io.ReadCloser
	closed bool
}

func (b *eofCloser) Read(p []byte) (int, error) {
	if b.closed {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF && !b.closed {
		b.closed = true
		_ = b.rc.Close()
	}
	return n, err
}

func (b *eofCloser) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	return b.rc.Close()
}

// checkRetry retries server errors, network errors and timeouts, 429 and
// rate-limited 403 (when the wait is acceptable); never other 4xx.
func (g *GitHub) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	switch c := resp.StatusCode; {
	case c == http.StatusTooManyRequests || (c == http.StatusForbidden && isRateLimited(resp.Header)):
		wait, _ := rateLimitWait(resp.Header, time.Now())
		return wait <= g.opts.MaxRetryAfter, nil
	case c >= 500 && c != http.StatusNotImplemented:
		return true, nil
	}
	return false, nil
}

// backoff honours retry-after, then x-ratelimit-reset when the budget is
// spent, then backs off exponentially with full jitter.
func (g *GitHub) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if wait, ok := rateLimitWait(resp.Header, time.Now()); ok {
			return wait
		}
	}
	d := float64(lo) * math.Pow(2, float64(attempt))
	if d > float64(hi) || math.IsInf(d, 0) {
		d = float64(hi)
	}
	if d < float64(lo) {
		d = float64(lo)
	}
	// Full jitter between lo and d.
	return lo + time.Duration(g.rand()*(d-float64(lo)))
}

// isRateLimited tells a rate-limited 403 from a permission 403: GitHub sends
// rate-limit headers on every answer, so only retry-after or a spent budget
// count.
func isRateLimited(h http.Header) bool {
	return h.Get("Retry-After") != "" || h.Get("X-Ratelimit-Remaining") == "0"
}

// rateLimitWait is how long GitHub asks to wait: retry-after (seconds or an
// HTTP date), else until x-ratelimit-reset when x-ratelimit-remaining is 0.
func rateLimitWait(h http.Header, now time.Time) (time.Duration, bool) {
	if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if t, err := http.ParseTime(ra); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	if h.Get("X-Ratelimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			// The reset is in whole seconds: wait until it has surely passed.
			return max(time.Unix(s, 0).Sub(now), 0) + 500*time.Millisecond, true
		}
	}
	return 0, false
}
