// Package edge tests hnp-gitops at its edges with hostile and broken input:
// every row of the security table of ../../../shared/design/targets.md
// (signatures, body size, malformed payloads, other events, the service's
// own writes, odd gitops_directory values, YAML bombs and binary files,
// tokens that must never leak, starting without a webhook secret) and the
// cases of issue 7 (a CR named ../../x, a 50 MiB file in raw/, symlinks and
// submodules in the tree, non-UTF-8 bytes, 10^6 aliases, a webhook for a
// fabric that does not exist, a repository on another host).
//
// Every row runs the real service (in-process through cli.Run, or as a
// process of the built binary where its memory is measured) against both
// emulators, and asserts the outcome a user or an attacker would see.
//
// It is test code only: nothing here may be imported by the service.
package edge
