// Package reconcile is the service's control loop: a keyed work queue of
// fabric ids (deduplicated, retried with per-key backoff, terminal errors
// not retried), the reconciler that turns a batch of fabrics of one
// repository and branch into one commit and writes their status back to
// NetBox, the fan-out of a changed git repository to its fabrics, and the
// periodic resync that heals lost webhooks.
//
// It holds no state a restart would lose: NetBox holds the status, git the
// content, and the branch ref is the lock. It reaches NetBox, the git host
// and the FGD engine only through the small interfaces it declares, and it
// must never run two writers on one repository and branch, write a status
// field whose value did not change, or put a token into a log line, an
// error, a NetBox field or a commit. See docs/reconcile.md for the design.
package reconcile
