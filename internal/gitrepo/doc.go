// Package gitrepo is the repository port: it reads the fabric GitOps
// directories (FGDs) of one repository and branch at the head, lets a pure
// plan function compute the change set, and lands it as one commit with
// compare-and-swap on the branch (never a force push), recomputing on the new
// head when the branch moved. The GitHub implementation speaks the Git Data
// API through go-github.
//
// It must not log, must never issue two writes to one repository at once,
// and no error it returns contains a token.
package gitrepo
