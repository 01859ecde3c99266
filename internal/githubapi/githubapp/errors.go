package githubapp

import (
	"errors"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// Kind sorts the errors of Source.Token by what the operator must do.
type Kind string

// The kinds of Error.
const (
	// KindAuth: GitHub refused the App JWT (401: wrong App id, wrong or
	// revoked private key, clock far off) or the installation (403,
	// e.g. suspended). Terminal until the configuration changes.
	KindAuth Kind = "auth"
	// KindNotInstalled: the App is not installed on the repository (404).
	KindNotInstalled Kind = "not_installed"
	// KindTransient: 5xx, rate limit, network error or timeout; retry later.
	KindTransient Kind = "transient"
	// KindInvalid: a local problem (no key, bad API URL, unparseable answer).
	KindInvalid Kind = "invalid"
)

// Error is a failed token request. It never contains the private key, the
// JWT or a token.
type Error struct {
	Kind       Kind
	Repo       string // owner/name ("" for an installation-level request)
	Op         string // e.g. "find installation", "create installation token"
	StatusCode int
	Message    string // GitHub's message or ours
	Err        error
}

func (e *Error) Error() string {
	what := "githubapp: " + e.Op
	if e.Repo != "" {
		what += " for " + e.Repo
	}
	return gitport.ErrorText(what, e.StatusCode, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the same request may succeed later; githubapi
// maps it to ClassTransient (else ClassAuth).
func (e *Error) Temporary() bool { return e.Kind == KindTransient }

// KindOf returns the Kind of err, or "" when err is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}
