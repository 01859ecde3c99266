// Package gitremote is the repository port over the git protocol itself, for
// repositories that are not on GitHub (GitLab, Bitbucket, Gitea, Azure
// DevOps, plain git servers): it fetches the branch head into memory, builds
// the FGD snapshots from its tree, lets the pure plan function compute the
// change set, and pushes one commit whose parent is the head it read. The
// push names that head as the ref's old value, so the server refuses it
// when the branch moved (compare-and-swap); the port then fetches again and
// re-plans, a bounded number of times. It implements the same Apply
// contract as githubapi.GitHub, with go-git over HTTPS (basic or token auth)
// or SSH (key file and known_hosts).
//
// It must never force a ref update, never write to disk, never run two
// writers on one repository and branch at once, never log, and no error it
// returns may contain a password, token or URL credentials. It does not
// support pull-request mode: that needs a host's API.
package gitremote
