// Package server is hnp-gitops' HTTP front: the NetBox webhook receiver
// (/webhooks/netbox), the health probes (/healthz, /readyz) and the small
// automation API (/api/v1/fabrics/...), on echo, plus Serve, which runs a
// handler on a listener with timeouts and a bounded graceful shutdown.
//
// A webhook is a hint, not data: the receiver caps the body, verifies the
// signature before parsing, and only asks the work queue to reconcile the
// fabric (or, for an updated git repository, the fabrics on it, when the
// queue is a RepositoryEnqueuer), answering 202 at once. It must never call NetBox or GitHub, never
// block on the queue, and never log a body, a signature, a secret or a
// token. Metrics are served elsewhere (internal/metrics on its own port).
package server
