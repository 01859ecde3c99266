package server

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestHandleError checks that an unexpected error becomes a 500 with no
// detail in the answer, and is logged.
func TestHandleError(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	h, err := New(Options{WebhookSecret: []byte("s"), Queue: nopQueue{}})
	if err != nil {
		t.Fatal(err)
	}
	e := h.(*echo.Echo)
	s := &server{log: newTestLogger(&logs)}
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantBody string
	}{
		{"internal", errors.New("reconcile: unexpected state"), 500, `{"error":"internal error"}`},
		{"typed", errorf(http.StatusConflict, "busy"), 409, `{"error":"busy"}`},
		{"wrapped typed", errors.Join(errors.New("x"), errorf(http.StatusBadRequest, "bad")), 400, `{"error":"bad"}`},
		{"echo error with internal", echo.NewHTTPError(http.StatusBadGateway, "detail").SetInternal(errors.New("dial 10.0.0.1")), 502, `{"error":"Bad Gateway"}`},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/x", nil), rec)
		s.handleError(tt.err, c)
		if rec.Code != tt.wantCode || strings.TrimSpace(rec.Body.String()) != tt.wantBody {
			t.Errorf("%s: %d %s, want %d %s", tt.name, rec.Code, rec.Body, tt.wantCode, tt.wantBody)
		}
	}
	if !strings.Contains(logs.String(), "http handler failed") {
		t.Errorf("internal error not logged: %s", logs.String())
	}
}

type nopQueue struct{}

func (nopQueue) Enqueue(int64, string) {}

func newTestLogger(w *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil))
}
