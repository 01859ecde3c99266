// Package githubapi is the GitHub adapter of the repository port
// (internal/gitport): it reads the fabric GitOps directories (FGDs) of one
// repository and branch at the head through GitHub's Git Data API
// (go-github), lets the port's pure plan function compute the change set,
// and lands it as one commit with compare-and-swap on the branch (never a
// force push), recomputing on the new head when the branch moved; or, in
// pull-request mode, opens or updates a pull request. GitHub Enterprise
// Server is the same API under another base URL. The GitHub App credential
// source is its subpackage githubapp.
//
// It must not log, must never issue two writes to one branch at once,
// and no error it returns contains a token. It maps GitHub's answers onto
// the port's error classes.
package githubapi
