// Package githubapp authenticates hnp-gitops as a GitHub App: it parses the
// App's private key, signs the short-lived App JWT (RS256, standard library
// only), finds the installation of a repository and exchanges the JWT for
// an installation access token, which it caches until five minutes before
// it expires. Concurrent callers for one installation share one request.
//
// Source.ForRepo plugs into githubapi.GitHubOptions.TokenSource. Commits
// pushed with an installation token and without an explicit author and
// committer are shown as Verified by GitHub, so the service leaves
// Author/Committer empty when the App is configured.
//
// It must not log, and it must never put the private key, a JWT or a token
// in an error.
package githubapp
