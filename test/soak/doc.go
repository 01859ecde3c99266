// Package soak holds the long-running proofs that hnp-gitops keeps its
// promises under faults and load (../../../shared/design/targets.md):
//
//   - TestSoak: fabrics over several repositories, with pre-existing flat and
//     raw/ YAML, with faults injected into both emulators and the service
//     process killed with SIGKILL and restarted twice; every fabric must end
//     initialized and every source document be found exactly once.
//   - TestBurst: hundreds of fabrics created at once; commits are batched,
//     never two writers on one branch, peak RSS reported.
//
// `make soak-short` runs the short forms (CI); `make soak` the long ones
// (-soak.fabrics=300 -soak.long). The tests run the built binary as a
// separate process; TestMain builds it.
//
// It is test code only: nothing here may be imported by the service.
package soak
