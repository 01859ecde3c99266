package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/githedgehog/hnp-gitops/internal/redact"
)

// Defaults of Options.
const (
	DefaultPluginPath    = "plugins/hedgehog"
	DefaultFabricsPrefix = "fabrics"
	DefaultReposPrefix   = "git-repos-api"
	DefaultTimeout       = 30 * time.Second
	DefaultRetryMax      = 4
	DefaultRetryWaitMin  = 500 * time.Millisecond
	DefaultRetryWaitMax  = 8 * time.Second
	DefaultUserAgent     = "hnp-gitops"

	// pageLimit is the largest page NetBox serves (MAX_PAGE_SIZE default).
	pageLimit = 1000
	// maxPages bounds a list walk so a NetBox that keeps answering with a
	// "next" link cannot hold the caller forever.
	maxPages = 10000
	// maxBody bounds the size of one response body read into memory.
	maxBody = 64 << 20
)

// Options configures a Client. Zero values take the defaults above.
type Options struct {
	// BaseURL is NetBox's base URL, e.g. https://netbox.example.com or
	// https://example.com/netbox (without /api).
	BaseURL string
	// Token is a v1 key (sent as "Token <key>") or a v2 token nbt_<key>.<token>
	// (sent as "Bearer <token>").
	Token         string
	PluginPath    string // under /api/, default "plugins/hedgehog"
	FabricsPrefix string // default "fabrics"
	ReposPrefix   string // default "git-repos-api"
	// Timeout bounds one attempt of one request.
	Timeout time.Duration
	// Transport is the base round tripper (default: a pooled clean transport).
	Transport http.RoundTripper
	// RetryMax is the number of retries after the first attempt; 0 means
	// DefaultRetryMax and a negative value disables retries.
	RetryMax                   int
	RetryWaitMin, RetryWaitMax time.Duration
	UserAgent                  string
}

// Client talks to one NetBox. It is safe for concurrent use.
type Client struct {
	base       *url.URL // scheme, host and path prefix, no trailing slash
	token      string
	authHeader string
	pluginPath string
	fabrics    string
	repos      string
	userAgent  string
	http       *retryablehttp.Client // GET, PATCH: retried
	httpOnce   *retryablehttp.Client // POST: never retried
	// legacyChanges: NetBox 4.0, whose change log is under extras.
	legacyChanges atomic.Bool
}

// New checks the options and builds a Client.
func New(o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(o.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("netbox: base URL %q is not an http(s) URL", redact.URL(o.BaseURL))
	}
	if u.User != nil {
		return nil, fmt.Errorf("netbox: base URL must not carry credentials; use the token")
	}
	if o.Token == "" {
		return nil, fmt.Errorf("netbox: no API token")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.Path = strings.TrimSuffix(u.Path, "/api")
	u.RawQuery, u.Fragment, u.RawPath = "", "", ""

	c := &Client{
		base:       u,
		token:      o.Token,
		pluginPath: trimSlashes(orDefault(o.PluginPath, DefaultPluginPath)),
		fabrics:    trimSlashes(orDefault(o.FabricsPrefix, DefaultFabricsPrefix)),
		repos:      trimSlashes(orDefault(o.ReposPrefix, DefaultReposPrefix)),
		userAgent:  orDefault(o.UserAgent, DefaultUserAgent),
	}
	if strings.HasPrefix(o.Token, "nbt_") {
		c.authHeader = "Bearer " + o.Token
	} else {
		c.authHeader = "Token " + o.Token
	}

	transport := o.Transport
	if transport == nil {
		transport = cleanhttp.DefaultPooledTransport()
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	retryMax := o.RetryMax
	switch {
	case retryMax == 0:
		retryMax = DefaultRetryMax
	case retryMax < 0:
		retryMax = 0
	}
	waitMin, waitMax := o.RetryWaitMin, o.RetryWaitMax
	if waitMin <= 0 {
		waitMin = DefaultRetryWaitMin
	}
	if waitMax <= 0 {
		waitMax = DefaultRetryWaitMax
	}
	if waitMax < waitMin {
		waitMax = waitMin
	}
	httpClient := &http.Client{Transport: transport, Timeout: timeout}
	c.http = newRetryClient(httpClient, retryMax, waitMin, waitMax)
	c.httpOnce = newRetryClient(httpClient, 0, waitMin, waitMax)
	return c, nil
}

func newRetryClient(hc *http.Client, retryMax int, waitMin, waitMax time.Duration) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       nil, // a library does not log; errors carry what matters
		RetryWaitMin: waitMin,
		RetryWaitMax: waitMax,
		RetryMax:     retryMax,
		CheckRetry:   checkRetry,
		Backoff:      retryablehttp.DefaultBackoff,
		// Hand back the last answer (or error) so that a 5xx becomes an
		// *APIError with NetBox's own message.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// checkRetry retries network errors and 5xx answers, never 4xx (NetBox has
// no rate limiting, so not even 429). POSTs go through a client without
// retries: NetBox may have created the object before the answer was lost,
// and a blind retry would create it twice or fail on the unique name.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		// The default policy knows which transport errors are permanent
		// (bad certificate, bad scheme, redirect loops).
		return retryablehttp.DefaultRetryPolicy(ctx, nil, err)
	}
	return resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func trimSlashes(s string) string { return strings.Trim(s, "/") }

// apiURL returns the absolute URL of path (relative to /api/, with trailing
// slash) and query.
func (c *Client) apiURL(path string, query url.Values) *url.URL {
	u := *c.base
	u.Path = c.base.Path + "/api/" + strings.TrimPrefix(path, "/")
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return &u
}

// response is a successful answer: its body, request id and Date header.
type response struct {
	body      []byte
	requestID string
	date      string
}

// do sends one request (with retries) and returns the body of a 2xx answer,
// or an *APIError, or a wrapped transport error. body, when non-nil, is
// sent as JSON.
func (c *Client) do(ctx context.Context, method string, u *url.URL, body any) (*response, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("netbox: %s %s: encode body: %w", method, u.Path, err)
		}
	}
	var rawBody any
	if raw != nil {
		rawBody = raw
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), rawBody)
	if err != nil {
		return nil, c.scrub(fmt.Errorf("netbox: %s %s: %w", method, u.Path, err))
	}
	req.Header.Set("Authorization", c.authHeader)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.http
	if method == http.MethodPost || ctx.Value(noRetryKey{}) != nil {
		hc = c.httpOnce
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, c.scrub(fmt.Errorf("netbox: %s %s: %w", method, u.Path, err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, c.scrub(fmt.Errorf("netbox: %s %s: read answer: %w", method, u.Path, err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.apiError(method, u.Path, resp.StatusCode, data)
	}
	return &response{body: data, requestID: resp.Header.Get("X-Request-ID"), date: resp.Header.Get("Date")}, nil
}

// getJSON GETs u and decodes the answer into v.
func (c *Client) getJSON(ctx context.Context, u *url.URL, v any) error {
	r, err := c.do(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		return fmt.Errorf("netbox: GET %s: decode answer: %w", u.Path, err)
	}
	return nil
}

// apiError turns a non-2xx answer into an *APIError, reading NetBox's error
// bodies: {"detail": ...} for 401/403/404, {field: [messages]} for 400 and
// {error, exception, ...} for 500.
func (c *Client) apiError(method, path string, code int, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: code}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil && obj != nil {
		if d, ok := obj["detail"]; ok {
			e.Detail = c.scrubString(rawText(d))
		}
		if code >= 500 {
			for _, k := range []string{"exception", "error"} {
				if d, ok := obj[k]; ok && e.Detail == "" {
					e.Detail = c.scrubString(rawText(d))
				}
			}
		}
		if code >= 400 && code < 500 && e.Detail == "" {
			e.Fields = map[string][]string{}
			for k, v := range obj {
				e.Fields[k] = c.fieldMessages(v)
			}
		}
	} else if text := strings.Join(strings.Fields(string(body)), " "); text != "" {
		const maxDetail = 200
		if len(text) > maxDetail {
			text = text[:maxDetail] + "..."
		}
		e.Detail = c.scrubString(text)
	}
	return e
}

// fieldMessages reads one field's errors: a string, a list of strings or
// anything else (shown as compact JSON).
func (c *Client) fieldMessages(v json.RawMessage) []string {
	var list []json.RawMessage
	if json.Unmarshal(v, &list) == nil {
		out := make([]string, 0, len(list))
		for _, m := range list {
			out = append(out, c.scrubString(rawText(m)))
		}
		return out
	}
	return []string{c.scrubString(rawText(v))}
}

// rawText gives a JSON string's value, or any other JSON value compacted.
func rawText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var b bytes.Buffer
	if json.Compact(&b, v) == nil {
		return b.String()
	}
	return string(v)
}

// scrub makes sure err's text never contains the token. The result still
// unwraps to err so errors.Is works (context.DeadlineExceeded, ...).
func (c *Client) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := c.scrubString(err.Error())
	return &scrubbedError{msg: msg, err: err}
}

func (c *Client) scrubString(s string) string { return redact.Secrets(s, c.token) }

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// Timeout reports whether the underlying error was a timeout.
func (e *scrubbedError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.err, &t) && t.Timeout()
}
