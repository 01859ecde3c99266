// Package cli is the hnp-gitops command tree: it parses flags (each of which
// an HNP_GITOPS_* environment variable can fill), wires the adapters together
// and runs them. It is the only package that knows every other one.
//
// It never touches os.Args, os.Exit or signals: cmd/hnp-gitops turns those
// into a context and calls Run, so tests run the real commands in-process.
package cli
