package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/githedgehog/hnp-gitops/pkg/githook"
)

// DefaultGitMaxBodyBytes caps a git host's webhook body when
// Options.GitMaxBodyBytes is 0: GitHub sends up to 25 MB (it drops larger
// payloads), GitLab and Gitea less for a push.
const DefaultGitMaxBodyBytes = 25 << 20

// resultPing labels GitHub's ping, sent when a webhook is created.
const resultPing = "ping"

// hostUnknown labels a delivery no known git host sent.
const hostUnknown = "unknown"

// GitPush is a git host's push as the server hands it on: the
// repository's URLs, the branch, and the paths the push changed outside
// the service's own commits (Complete is false when the host did not list
// them all).
type GitPush struct {
	URLs     []string
	Branch   string
	Paths    []string
	Complete bool
	Reason   string
}

// PushEnqueuer takes git pushes. It must not block nor call NetBox or the
// git host on the caller's goroutine.
type PushEnqueuer interface {
	EnqueuePush(p GitPush)
}

// handleGitWebhook answers one git host delivery and counts it by host
// and result.
func (s *server) handleGitWebhook(c echo.Context) error {
	host, result, err := s.gitWebhook(c)
	s.metrics.GitWebhook(host, result, s.now())
	if err != nil {
		return err
	}
	if result == resultPing {
		return c.JSONBlob(http.StatusOK, []byte(`{"result":"ping"}`))
	}
	return c.JSONBlob(http.StatusAccepted, []byte(`{"result":"`+result+`"}`))
}

// gitWebhook does the work of handleGitWebhook: identify the host, cap,
// verify, parse, filter, enqueue, in that order. It returns the host and
// result labels and, for a rejection, the error to answer with.
func (s *server) gitWebhook(c echo.Context) (host, result string, err error) {
	req := c.Request()
	ctx := req.Context()
	d, ok := githook.Identify(req.Header)
	if !ok {
		result, err = s.reject(ctx, req, resultBadRequest, errorf(http.StatusBadRequest, "not a webhook of GitHub, GitLab, Gitea or Forgejo (no event header)"))
		return hostUnknown, result, err
	}
	host = string(d.Host)
	buf := s.buffers.Get().(*bytes.Buffer)
	defer s.putBuffer(buf)
	if result, rerr := s.readBody(c, buf, s.gitMaxBody); rerr != nil {
		result, err = s.reject(ctx, req, result, rerr, slog.String("host", host))
		return host, result, err
	}
	body := buf.Bytes()
	if err := githook.Verify(d.Host, s.gitSecret, body, req.Header); err != nil {
		msg := "bad signature"
		if errors.Is(err, githook.ErrMissingSignature) {
			msg = "missing signature"
		}
		result, err = s.reject(ctx, req, resultBadSignature, errorf(http.StatusUnauthorized, msg), slog.String("host", host))
		return host, result, err
	}
	attrs := []slog.Attr{slog.String("host", host), slog.String("event", d.Event), slog.String("delivery", d.ID)}
	switch d.Event {
	case githook.EventPing:
		s.logDelivery(ctx, slog.LevelInfo, req, resultPing, "ping", attrs...)
		return host, resultPing, nil
	case githook.EventPush:
	default:
		s.logDelivery(ctx, slog.LevelDebug, req, resultIgnored, "not a push", attrs...)
		return host, resultIgnored, nil
	}
	p, err := githook.Parse(d.Host, body)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "githook: ")
		result, err = s.reject(ctx, req, resultBadRequest, errorf(http.StatusBadRequest, msg), attrs...)
		return host, result, err
	}
	return host, s.push(ctx, req, p, attrs), nil
}

// push filters a parsed push and hands it to the queue.
func (s *server) push(ctx context.Context, req *http.Request, p *githook.Push, attrs []slog.Attr) string {
	attrs = append(attrs, slog.String("ref", p.Ref), slog.Int("commits", len(p.Commits)), slog.Bool("complete", p.Complete))
	own := func(c githook.Commit) bool { return s.ownCommit != nil && s.ownCommit(c.Message) }
	switch {
	case p.Branch == "":
		s.logDelivery(ctx, slog.LevelDebug, req, resultIgnored, "not a branch", attrs...)
		return resultIgnored
	case p.Deleted:
		s.logDelivery(ctx, slog.LevelDebug, req, resultIgnored, "branch deleted", attrs...)
		return resultIgnored
	case p.Only(own):
		s.logDelivery(ctx, slog.LevelDebug, req, resultSelf, "only the service's own commits", attrs...)
		return resultSelf
	}
	paths := p.Paths(own)
	s.pushes.EnqueuePush(GitPush{
		URLs: p.RepositoryURLs, Branch: p.Branch, Paths: paths, Complete: p.Complete,
		Reason: string(p.Host) + " push",
	})
	s.logDelivery(ctx, slog.LevelDebug, req, resultAccepted, "queued", append(attrs, slog.Int("paths", len(paths)))...)
	return resultAccepted
}
