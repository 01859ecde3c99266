// Package githubsim is an emulator of the part of GitHub's REST API that
// hnp-gitops uses (Git Data API refs, commits, trees and blobs; contents;
// repositories; compare; pull requests), backed by one real bare git
// repository per emulated repository, so that `git clone <bare dir>` shows
// exactly what Argo CD or Flux would see. It answers with GitHub's status
// codes, error bodies and rate-limit headers, refuses non-fast-forward ref
// updates like GitHub, counts what it served (GET /_sim/stats), and injects
// faults on demand: latency, 5xx, hangs, 403/429 with retry-after, a spent
// primary budget, a secondary write limit, and a concurrent writer that moves
// a branch between a client's read and its ref update.
//
// With Options.App it also emulates one GitHub App: App JWTs (RS256,
// verified with the App's public key) may look up a repository's
// installation and create installation access tokens with a configurable
// lifetime, which are then accepted on the installed repositories until
// they expire.
//
// It is test infrastructure: it must not be imported by the service, and it
// does not authenticate anything but one configured token and, in App
// mode, the App's JWTs and installation tokens.
package githubsim
