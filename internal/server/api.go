package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// tokenDigest hashes a bearer token so that comparing two of them takes the
// same time whatever their lengths.
func tokenDigest(token string) []byte {
	d := sha256.Sum256([]byte(token))
	return d[:]
}

// requireToken guards /api/v1: 404 when no API token is configured (the API
// is off), 401 without the right bearer token.
func (s *server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.token == nil {
			return errorf(http.StatusNotFound, "API disabled: no API token configured")
		}
		scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" ||
			subtle.ConstantTimeCompare(tokenDigest(strings.TrimSpace(token)), s.token) != 1 {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="hnp-gitops"`)
			return errorf(http.StatusUnauthorized, "missing or invalid bearer token")
		}
		return next(c)
	}
}

type reconcileAnswer struct {
	Result   string `json:"result"`
	FabricID int64  `json:"fabric_id"`
}

// handleReconcile queues one fabric, as a webhook would.
func (s *server) handleReconcile(c echo.Context) error {
	id, err := fabricID(c)
	if err != nil {
		return err
	}
	s.queue.Enqueue(id, "api")
	return c.JSON(http.StatusAccepted, reconcileAnswer{Result: "queued", FabricID: id})
}

// handleFabricResult answers the last reconcile result of a fabric.
func (s *server) handleFabricResult(c echo.Context) error {
	id, err := fabricID(c)
	if err != nil {
		return err
	}
	if s.results != nil {
		if r, ok := s.results.Result(id); ok {
			return c.JSON(http.StatusOK, r)
		}
	}
	return errorf(http.StatusNotFound, "no result for fabric "+strconv.FormatInt(id, 10)+" yet")
}

func fabricID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, errorf(http.StatusBadRequest, "fabric id must be a positive integer")
	}
	return id, nil
}
