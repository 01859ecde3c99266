package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
)

// The object type whose events the receiver acts on.
const (
	appLabel    = "netbox_hedgehog"
	fabricModel = "hedgehogfabric"
	repoModel   = "gitrepository"
)

// Webhook results, the label values of metrics.WebhookResults.
const (
	resultAccepted     = "accepted"
	resultIgnored      = "ignored"
	resultSelf         = "self"
	resultBadSignature = "bad_signature"
	resultBadRequest   = "bad_request"
	resultTooLarge     = "too_large"
)

// actsOn tells the fabric events that ask for a reconcile. A deleted
// fabric's directory is left in git on purpose (removing a tree Argo CD or
// Flux applies is not something a hint may trigger); job events carry no
// change to the fabric.
func actsOn(event string) bool {
	return event == netboxhook.EventCreated || event == netboxhook.EventUpdated
}

// handleWebhook answers one NetBox delivery and counts it by result.
func (s *server) handleWebhook(c echo.Context) error {
	result, err := s.webhook(c)
	s.metrics.Webhook(result, s.now())
	if err != nil {
		return err
	}
	// A fixed body: the acknowledgement is the hot path.
	return c.JSONBlob(http.StatusAccepted, []byte(`{"result":"`+result+`"}`))
}

// webhook does the work of handleWebhook: cap, verify, parse, filter,
// enqueue, in that order. It returns the result label and, for a
// rejection, the error to answer with.
func (s *server) webhook(c echo.Context) (string, error) {
	req := c.Request()
	ctx := req.Context()
	buf := s.buffers.Get().(*bytes.Buffer)
	defer s.putBuffer(buf)
	if result, err := s.readBody(c, buf, s.maxBody); err != nil {
		return s.reject(ctx, req, result, err)
	}
	body := buf.Bytes()

	if len(s.secret) > 0 {
		if err := netboxhook.Verify(s.secret, body, req.Header.Get(netboxhook.SignatureHeader)); err != nil {
			msg := "bad signature"
			if errors.Is(err, netboxhook.ErrMissingSignature) {
				msg = "missing signature"
			}
			return s.reject(ctx, req, resultBadSignature, errorf(http.StatusUnauthorized, msg))
		}
	}

	ev, err := netboxhook.Parse(body)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "netboxhook: ")
		return s.reject(ctx, req, resultBadRequest, errorf(http.StatusBadRequest, msg))
	}

	attrs := []slog.Attr{
		slog.String("event", ev.Event), slog.Int64("object_id", ev.ObjectID),
		slog.String("request_id", ev.RequestID),
	}
	if ev.Is(appLabel, repoModel) {
		return s.repositoryEvent(ctx, req, ev, attrs), nil
	}
	switch {
	case !ev.Is(appLabel, fabricModel):
		s.logDelivery(ctx, slog.LevelDebug, req, resultIgnored, "not a fabric", append(attrs, slog.String("object_type", objectType(ev)))...)
		return resultIgnored, nil
	case !actsOn(ev.Event):
		s.logDelivery(ctx, slog.LevelDebug, req, resultIgnored, "event not acted on", attrs...)
		return resultIgnored, nil
	case ev.RequestID != "" && s.self != nil && s.self.IsOwnRequest(ev.RequestID):
		s.logDelivery(ctx, slog.LevelDebug, req, resultSelf, "own write (request id)", attrs...)
		return resultSelf, nil
	case onlyStatusWrite(ev):
		s.logDelivery(ctx, slog.LevelDebug, req, resultSelf, "own write (only status fields changed)", attrs...)
		return resultSelf, nil
	}
	if rq, ok := s.queue.(RequestEnqueuer); ok && ev.RequestID != "" {
		rq.EnqueueRequest(ev.ObjectID, "webhook "+ev.Event, ev.RequestID)
	} else {
		s.queue.Enqueue(ev.ObjectID, "webhook "+ev.Event)
	}
	s.logDelivery(ctx, slog.LevelDebug, req, resultAccepted, "queued", attrs...)
	return resultAccepted, nil
}

// repositoryEvent hands an updated git repository to the queue, which
// reconciles the fabrics on it, when the queue takes repositories. A
// created repository has no fabric yet (a fabric can only name an existing
// one, and its own event covers it), so acting on it would only race with
// that event and reconcile the new fabric twice; a deleted one has none
// left. The service never writes repositories, so no event here is its own.
func (s *server) repositoryEvent(ctx context.Context, req *http.Request, ev *netboxhook.Event, attrs []slog.Attr) string {
	attrs = append(attrs, slog.String("object_type", objectType(ev)))
	rq, ok := s.queue.(RepositoryEnqueuer)
	switch {
	case !ok:
		s.logDelivery(ctx, slog.LevelDebug, req, resultIgnored, "not a fabric", attrs...)
		return resultIgnored
	case ev.Event != netboxhook.EventUpdated:
		s.logDelivery(ctx, slog.LevelDebug, req, resultIgnored, "event not acted on", attrs...)
		return resultIgnored
	}
	rq.EnqueueRepository(ev.ObjectID, "webhook repository "+ev.Event, ev.RequestID)
	s.logDelivery(ctx, slog.LevelDebug, req, resultAccepted, "fabrics of the repository queued", attrs...)
	return resultAccepted
}

// onlyStatusWrite tells whether an update changed nothing but the status
// custom fields the service owns (and the last_updated stamp every save
// moves): that is the service's own write coming back, even when its
// request id was not recorded (another replica wrote it, or the process
// restarted). A user who sets the status to not_initialized asks for a
// fresh run, which the service never writes itself, so that is not one.
func onlyStatusWrite(ev *netboxhook.Event) bool {
	if ev.Event != netboxhook.EventUpdated || ev.Prechange == nil || ev.Postchange == nil {
		return false
	}
	sawStatus := false
	for _, f := range ev.ChangedFields() {
		if f == "last_updated" {
			continue
		}
		name, ok := strings.CutPrefix(f, "custom_fields.")
		if !ok || !slices.Contains(status.Fields, name) {
			return false
		}
		sawStatus = true
	}
	if !sawStatus {
		return false
	}
	cf, _ := ev.Postchange["custom_fields"].(map[string]any)
	return cf[status.FieldStatus] != string(status.NotInitialized)
}

func objectType(ev *netboxhook.Event) string {
	if ev.ObjectType != "" {
		return ev.ObjectType
	}
	return ev.Model
}

// readBody reads a webhook body into buf, capped at max bytes. On failure
// it returns the result label and the answer.
func (s *server) readBody(c echo.Context, buf *bytes.Buffer, max int64) (string, *Error) {
	req := c.Request()
	// Content-Length is only a shortcut: the body is capped while reading.
	if req.ContentLength > max {
		return resultTooLarge, errorf(http.StatusRequestEntityTooLarge, "body too large")
	}
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(c.Response().Writer, req.Body, max)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return resultTooLarge, errorf(http.StatusRequestEntityTooLarge, "body too large")
		}
		return resultBadRequest, errorf(http.StatusBadRequest, "could not read the body")
	}
	return "", nil
}

// reject logs and returns a rejected delivery.
func (s *server) reject(ctx context.Context, req *http.Request, result string, err *Error, attrs ...slog.Attr) (string, error) {
	s.logDelivery(ctx, slog.LevelWarn, req, result, err.Message, attrs...)
	return result, err
}

// logDelivery writes the one line of a delivery: never its body, its
// signature or the secret.
func (s *server) logDelivery(ctx context.Context, level slog.Level, req *http.Request, result, reason string, attrs ...slog.Attr) {
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs = append(attrs, slog.String("result", result), slog.String("reason", reason), slog.String("remote", req.RemoteAddr))
	s.log.LogAttrs(ctx, level, "webhook delivery", attrs...)
}

func (s *server) putBuffer(b *bytes.Buffer) {
	// Do not keep the buffer of an unusually large body alive.
	if b.Cap() <= 64<<10 {
		s.buffers.Put(b)
	}
}
