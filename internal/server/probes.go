package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// handleHealthz answers 200 while the process can serve HTTP at all.
func (s *server) handleHealthz(c echo.Context) error {
	return c.JSONBlob(http.StatusOK, []byte(`{"status":"ok"}`))
}

// handleReadyz answers 200 when Ready says the service can take work, else
// 503 with Ready's reason on one line.
func (s *server) handleReadyz(c echo.Context) error {
	if s.ready != nil {
		if err := s.ready(c.Request().Context()); err != nil {
			return errorf(http.StatusServiceUnavailable, "not ready: "+oneLine(err.Error(), 200))
		}
	}
	return c.JSONBlob(http.StatusOK, []byte(`{"status":"ready"}`))
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ToValidUTF8(s, "?")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
