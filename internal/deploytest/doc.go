// Package deploytest holds tests only: they check that what operators deploy
// agrees with the service. The Helm chart must lint and render; its
// Deployment may pass only flags that `hnp-gitops serve` really has, with the
// promised probes and security settings; the Grafana dashboard and the alert
// rules may query only metrics that internal/metrics really registers; and
// docs/configuration.md must list exactly the flags of `serve`.
//
// The chart tests run the helm binary that `make tools` builds into bin/helm
// (found through $HNP_GITOPS_HELM, then ../../bin/helm, then PATH). They fail,
// never skip, when it is missing.
//
// It must not hold production code: nothing imports it.
package deploytest
