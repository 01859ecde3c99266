// Package e2e holds the end-to-end tests of hnp-gitops: both emulators as
// real HTTP servers on loopback and the real `serve` started through its
// entry point on port 0. What a test asserts about the repository it reads
// from a `git clone` of the emulator's bare repository, as Argo CD or Flux
// would.
package e2e
