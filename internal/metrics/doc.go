// Package metrics defines every Prometheus collector of hnp-gitops on an
// explicit registry, with label values pre-initialised so that each series
// exists at zero from the start.
//
// It must not register anything on the default registry, and it holds no
// business logic: other packages report what happened through the nil-safe
// methods of *Metrics (a nil *Metrics records nothing, which keeps tests and
// library use free of metrics wiring).
package metrics
