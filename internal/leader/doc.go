// Package leader elects one leader among the replicas of hnp-gitops with a
// Kubernetes Lease (coordination.k8s.io/v1), so that work which needs to run
// on one replica at a time (the periodic resync) runs only there.
//
// It talks to the Kubernetes REST API with plain net/http: GET, POST and PUT
// of one Lease, with the Lease's resourceVersion for optimistic concurrency.
// It must not depend on k8s.io/client-go, must not guard correctness (every
// write of the service is already a compare-and-swap on the branch; the
// election only saves wasted reads), and must never put the service-account
// token into an error or a log line. See docs/leader-election.md.
package leader
