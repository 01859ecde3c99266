package githubapp

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/redact"
)

// refreshMargin is how long before its expiry a cached installation token
// is replaced.
const refreshMargin = 5 * time.Minute

// requestTimeout bounds one shared token request (it outlives the caller
// that started it, so that the other waiters are not failed by its
// cancellation).
const requestTimeout = 30 * time.Second

// Options configures a Source.
type Options struct {
	// AppID is the App's numeric id or its client id (the JWT's iss).
	AppID string
	// Key is the App's private key (see ParsePrivateKey).
	Key *rsa.PrivateKey
	// APIBase returns the REST API base for a host, with a trailing
	// slash. Default: https://api.github.com/ for github.com (and ""),
	// https://<host>/api/v3/ for others. The service passes githubapi's
	// mapping so that both agree.
	APIBase func(host string) string
	// HTTPClient sends the requests. Default: a client with a 30s timeout.
	HTTPClient *http.Client
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// InstallationID, when not 0, is used for every repository instead of
	// looking the installation up.
	InstallationID int64
}

// Source hands out installation access tokens of one GitHub App. It is
// safe for concurrent use.
type Source struct {
	o  Options
	sf singleflight.Group

	mu       sync.Mutex
	installs map[string]int64 // host/owner/name → installation id
	tokens   map[string]cachedToken
}

type cachedToken struct {
	token   string
	expires time.Time
}

// New returns a Source with defaults filled in.
func New(o Options) *Source {
	if o.APIBase == nil {
		o.APIBase = DefaultAPIBase
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: requestTimeout}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Source{o: o, installs: map[string]int64{}, tokens: map[string]cachedToken{}}
}

// DefaultAPIBase is the API base of host: https://api.github.com/ for
// github.com (and ""), https://<host>/api/v3/ for GitHub Enterprise.
func DefaultAPIBase(host string) string {
	if host == "" || host == "github.com" {
		return "https://api.github.com/"
	}
	return "https://" + host + "/api/v3/"
}

// ForRepo is Token for a gitport.Repo: the signature of
// githubapi.GitHubOptions.TokenSource.
func (s *Source) ForRepo(ctx context.Context, r gitport.Repo) (string, error) {
	return s.Token(ctx, r.Owner, r.Name, r.Host)
}

// Token returns an installation access token that can write owner/repo on
// host ("" is github.com). It finds the repository's installation once
// (GET /repos/{owner}/{repo}/installation, remembered per repository) and
// creates a token (POST /app/installations/{installation_id}/access_tokens), cached
// until five minutes before it expires; concurrent callers for one
// installation share one request. Errors are *Error.
func (s *Source) Token(ctx context.Context, owner, repo, host string) (string, error) {
	if host == "" {
		host = "github.com"
	}
	name := owner + "/" + repo
	if s.o.Key == nil || s.o.AppID == "" {
		return "", &Error{Kind: KindInvalid, Repo: name, Op: "configure", Message: "the GitHub App id and private key are required"}
	}
	id, err := s.installation(ctx, host, owner, repo)
	if err != nil {
		return "", err
	}
	return s.installationToken(ctx, host, name, id)
}

func (s *Source) installation(ctx context.Context, host, owner, repo string) (int64, error) {
	if s.o.InstallationID != 0 {
		return s.o.InstallationID, nil
	}
	key := host + "/" + owner + "/" + repo
	s.mu.Lock()
	id, ok := s.installs[key]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	v, err := s.shared(ctx, "installation "+key, func(ctx context.Context) (any, error) {
		var body struct {
			ID int64 `json:"id"`
		}
		if err := s.call(ctx, http.MethodGet, host, "repos/"+owner+"/"+repo+"/installation", owner+"/"+repo, "find installation", &body); err != nil {
			return int64(0), err
		}
		if body.ID == 0 {
			return int64(0), &Error{Kind: KindInvalid, Repo: owner + "/" + repo, Op: "find installation", Message: "answer without an installation id"}
		}
		s.mu.Lock()
		s.installs[key] = body.ID
		s.mu.Unlock()
		return body.ID, nil
	})
	if err != nil {
		return 0, err
	}
	return v.(int64), nil
}

func (s *Source) installationToken(ctx context.Context, host, repo string, id int64) (string, error) {
	key := host + "#" + strconv.FormatInt(id, 10)
	if tok, ok := s.cached(key); ok {
		return tok, nil
	}
	v, err := s.shared(ctx, "token "+key, func(ctx context.Context) (any, error) {
		// A caller that waited for the previous request finds its token.
		if tok, ok := s.cached(key); ok {
			return tok, nil
		}
		var body struct {
			Token     string    `json:"token"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		path := "app/installations/" + strconv.FormatInt(id, 10) + "/access_tokens"
		if err := s.call(ctx, http.MethodPost, host, path, repo, "create installation token", &body); err != nil {
			var e *Error
			if errors.As(err, &e) && (e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusForbidden) {
				// Uninstalled or suspended: look the installation up again next time.
				s.forgetInstallation(host, id)
			}
			return "", err
		}
		if body.Token == "" || body.ExpiresAt.IsZero() {
			return "", &Error{Kind: KindInvalid, Repo: repo, Op: "create installation token", Message: "answer without a token or expiry"}
		}
		s.mu.Lock()
		s.tokens[key] = cachedToken{token: body.Token, expires: body.ExpiresAt}
		s.mu.Unlock()
		return body.Token, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

func (s *Source) cached(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.tokens[key]
	if !ok || !s.o.Now().Before(c.expires.Add(-refreshMargin)) {
		return "", false
	}
	return c.token, true
}

func (s *Source) forgetInstallation(host string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.installs {
		if v == id && strings.HasPrefix(k, host+"/") {
			delete(s.installs, k)
		}
	}
	delete(s.tokens, host+"#"+strconv.FormatInt(id, 10))
}

// shared runs fn once for concurrent callers of key. fn gets a context
// that is not cancelled with the caller's (other callers may wait on it)
// but bounded by requestTimeout; a caller whose ctx ends stops waiting.
func (s *Source) shared(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	ch := s.sf.DoChan(key, func() (any, error) {
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		defer cancel()
		return fn(c)
	})
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, &Error{Kind: KindTransient, Op: "wait for the token request", Message: "cancelled", Err: ctx.Err()}
	}
}

// call sends one request authenticated with a fresh App JWT and decodes a
// 2xx answer into out.
func (s *Source) call(ctx context.Context, method, host, path, repo, op string, out any) error {
	fail := func(kind Kind, status int, msg string, err error) error {
		return &Error{Kind: kind, Repo: repo, Op: op, StatusCode: status, Message: msg, Err: err}
	}
	jwt, err := SignJWT(s.o.Key, s.o.AppID, s.o.Now())
	if err != nil {
		return fail(KindInvalid, 0, "cannot sign the App JWT", err)
	}
	base := s.o.APIBase(host)
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
	if err != nil {
		return fail(KindInvalid, 0, "bad API URL", nil)
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "hnp-gitops")
	resp, err := s.o.HTTPClient.Do(req)
	if err != nil {
		msg := "request failed"
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			msg = "cancelled or timed out"
		}
		return fail(KindTransient, 0, msg, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fail(KindTransient, resp.StatusCode, "reading the answer failed", err)
	}
	if resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fail(KindInvalid, resp.StatusCode, "unparseable answer", nil)
		}
		return nil
	}
	var gh struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &gh)
	msg := gh.Message
	if len(msg) > 200 {
		msg = msg[:200]
	}
	msg = redact.Secrets(msg, jwt)
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return s.statusError(resp, repo, op, msg)
}

func (s *Source) statusError(resp *http.Response, repo, op, ghMsg string) error {
	e := &Error{Repo: repo, Op: op, StatusCode: resp.StatusCode, Message: ghMsg}
	rateLimited := resp.Header.Get("X-Ratelimit-Remaining") == "0" || resp.Header.Get("Retry-After") != "" ||
		strings.Contains(strings.ToLower(ghMsg), "rate limit")
	switch c := resp.StatusCode; {
	case c == http.StatusTooManyRequests, c == http.StatusForbidden && rateLimited:
		e.Kind = KindTransient
	case c >= 500:
		e.Kind = KindTransient
	case c == http.StatusUnauthorized:
		e.Kind = KindAuth
		e.Message = fmt.Sprintf("GitHub refused the JWT of the GitHub App %s (check the App id, the private key and the clock): %s", s.o.AppID, ghMsg)
	case c == http.StatusForbidden:
		e.Kind = KindAuth
	case c == http.StatusNotFound && op == "find installation":
		e.Kind = KindNotInstalled
		e.Message = fmt.Sprintf("the GitHub App %s is not installed on %s (or the repository does not exist)", s.o.AppID, repo)
	case c == http.StatusNotFound:
		e.Kind = KindNotInstalled
		e.Message = fmt.Sprintf("installation not found for the GitHub App %s", s.o.AppID)
	default:
		e.Kind = KindInvalid
	}
	return e
}
