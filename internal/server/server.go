package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/githedgehog/hnp-gitops/internal/metrics"
)

// DefaultMaxBodyBytes caps a webhook body when Options.MaxBodyBytes is 0.
// A fabric's payload is a few KiB; NetBox never sends more than one object.
const DefaultMaxBodyBytes = 1 << 20

// Enqueuer asks for a fabric to be reconciled. It must not block: the queue
// deduplicates by fabric id, so a burst of events for one fabric costs one
// reconcile.
type Enqueuer interface {
	Enqueue(fabricID int64, reason string)
}

// RequestEnqueuer is an Enqueuer that also takes the NetBox request id of
// the change that caused the event, so the commit can name it (the
// NetBox-Request-ID trailer). The handler uses it when the queue has it.
type RequestEnqueuer interface {
	EnqueueRequest(fabricID int64, reason, requestID string)
}

// RepositoryEnqueuer is an Enqueuer that also takes an update of a git
// repository object: it reconciles the fabrics that use the repository.
// It must not block (it must not call NetBox on the caller's goroutine).
// The handler passes repository events to it when the queue has it, and
// ignores them otherwise.
type RepositoryEnqueuer interface {
	EnqueueRepository(repoID int64, reason, requestID string)
}

// SelfWrites recognises the service's own NetBox writes by the X-Request-ID
// NetBox answered them with (equal to the request id of the events they
// cause).
type SelfWrites interface {
	IsOwnRequest(requestID string) bool
}

// Results gives the last reconcile result of a fabric, any JSON-able value.
type Results interface {
	Result(fabricID int64) (any, bool)
}

// Options are the dependencies and settings of the handler.
type Options struct {
	// WebhookSecret verifies X-Hook-Signature. It is required unless
	// InsecureSkipSignature is set; when both are set the secret wins and
	// signatures are checked.
	WebhookSecret         []byte
	InsecureSkipSignature bool
	// APIToken is the bearer token of /api/v1; the API answers 404 when it
	// is empty.
	APIToken string
	// Queue receives the fabrics to reconcile. Required.
	Queue Enqueuer
	// Self and Results may be nil.
	Self    SelfWrites
	Results Results
	// Ready reports whether the service can take work (nil: always ready).
	Ready   func(ctx context.Context) error
	Metrics *metrics.Metrics // nil records nothing
	Logger  *slog.Logger     // nil discards
	// MaxBodyBytes caps a webhook body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// GitWebhookSecret verifies the git hosts' push webhooks on
	// /webhooks/git (GitHub's and Gitea's HMAC key, GitLab's token). The
	// route exists only when it and Pushes are set.
	GitWebhookSecret []byte
	Pushes           PushEnqueuer
	// GitMaxBodyBytes caps a git host's webhook body (default
	// DefaultGitMaxBodyBytes).
	GitMaxBodyBytes int64
	// OwnCommit recognises the service's own commits by their message, so
	// that a push of only those is ignored (nil: no commit is).
	OwnCommit func(message string) bool
	// Now is the clock of the metrics (default time.Now).
	Now func() time.Time
}

// Errors of New.
var (
	ErrNoSecret = errors.New("server: no webhook secret and InsecureSkipSignature not set")
	ErrNoQueue  = errors.New("server: no queue")
)

// server holds the handlers' dependencies.
type server struct {
	secret  []byte
	token   []byte // sha256 of APIToken, nil when the API is disabled
	queue   Enqueuer
	self    SelfWrites
	results Results
	ready   func(ctx context.Context) error
	metrics *metrics.Metrics
	log     *slog.Logger
	maxBody int64
	now     func() time.Time

	gitSecret  []byte // nil: no /webhooks/git
	gitMaxBody int64
	pushes     PushEnqueuer
	ownCommit  func(message string) bool
	buffers    sync.Pool // *bytes.Buffer for webhook bodies
}

// New returns the handler of every route (see routes.go).
func New(o Options) (http.Handler, error) {
	if len(o.WebhookSecret) == 0 && !o.InsecureSkipSignature {
		return nil, ErrNoSecret
	}
	if o.Queue == nil {
		return nil, ErrNoQueue
	}
	s := &server{
		secret:  append([]byte(nil), o.WebhookSecret...),
		queue:   o.Queue,
		self:    o.Self,
		results: o.Results,
		ready:   o.Ready,
		metrics: o.Metrics,
		log:     o.Logger,
		maxBody: o.MaxBodyBytes,
		now:     o.Now,
	}
	if o.APIToken != "" {
		s.token = tokenDigest(o.APIToken)
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.now == nil {
		s.now = time.Now
	}
	if o.Pushes != nil && len(o.GitWebhookSecret) > 0 {
		s.gitSecret, s.pushes = append([]byte(nil), o.GitWebhookSecret...), o.Pushes
		s.gitMaxBody, s.ownCommit = o.GitMaxBodyBytes, o.OwnCommit
		if s.gitMaxBody <= 0 {
			s.gitMaxBody = DefaultGitMaxBodyBytes
		}
	}
	s.buffers.New = func() any { return new(bytes.Buffer) }

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard)
	e.HTTPErrorHandler = s.handleError
	s.routes(e)
	return e, nil
}
