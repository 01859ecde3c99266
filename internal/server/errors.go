package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Error is an answer other than success: a status code and a message that
// is safe to show to the caller (one line, no internals).
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(code int, msg string) *Error { return &Error{Code: code, Message: msg} }

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

// handleError is the one place that turns a handler's error into an answer.
// Errors it does not know become a 500 with a generic message, and are
// logged, since they are bugs.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	var se *Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &se):
		code, msg = se.Code, se.Message
	case errors.As(err, &he):
		// Routing answers (404, 405) and echo's own errors. Their message
		// is a fixed text; anything else is replaced by the status text.
		code = he.Code
		msg = http.StatusText(code)
		if m, ok := he.Message.(string); ok && he.Internal == nil {
			msg = m
		}
	default:
		s.log.Error("http handler failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	_ = c.JSON(code, errorBody{Error: msg})
}
