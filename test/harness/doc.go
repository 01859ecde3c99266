// Package harness starts the whole of hnp-gitops for end-to-end tests, the
// soak and `make demo`: the NetBox emulator, the GitHub emulator (real bare
// git repositories on disk) and the real `hnp-gitops serve`, either
// in-process through cli.Run or as a separate process of the built binary
// (so it can be killed with SIGKILL).
//
// It is test infrastructure: it must not be imported by the service.
package harness
