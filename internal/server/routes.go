package server

import "github.com/labstack/echo/v4"

// routes mounts every route of the service's main port.
func (s *server) routes(e *echo.Echo) {
	e.POST("/webhooks/netbox", s.handleWebhook)
	if s.pushes != nil {
		e.POST("/webhooks/git", s.handleGitWebhook)
	}
	e.GET("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)

	api := e.Group("/api/v1", s.requireToken)
	api.POST("/fabrics/:id/reconcile", s.handleReconcile)
	api.GET("/fabrics/:id", s.handleFabricResult)
}
