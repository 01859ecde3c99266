// Package e2e holds the end-to-end tests of hnp-gitops: both emulators as
// real HTTP servers on loopback and the real `serve` started through its
// entry point on port 0 (in-process through cli.Run, or, for the SIGTERM
// tests, as a process of the binary built once from ./cmd/hnp-gitops). What
// a test asserts about the repository it reads from a `git clone` of the
// emulator's bare repository, as Argo CD or Flux would, and about NetBox from
// the emulator's stored fabrics, its PatchLog and its deliveries.
//
// The scenarios: the user's acceptance case; what Flux's kustomize build of
// managed/ yields; batching; webhooks lost, echoed, badly signed; resyncs;
// faults of both APIs that heal and those that end in error; SIGTERM; the
// automation API; the NetBox versions; and the create-to-commit latency
// (TestCreateToCommitLatency, -latency-fabrics and -latency-p50-max).
//
//	go test -count=1 ./test/e2e
//
// It needs the git binary and testdata/hnp-fabric-1; a
// missing one fails, never skips.
package e2e
