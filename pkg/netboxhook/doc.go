// Package netboxhook reads and writes the webhook requests that NetBox (4.0 to
// 4.7) sends when an object changes: it parses every payload form of those
// versions into one Event, verifies and computes the X-Hook-Signature
// (HMAC-SHA512 over the exact body), tells which fields a change touched, and
// encodes values the way NetBox's Python json.dumps does so that emulators
// can produce byte-exact, correctly signed bodies.
//
// It is importable by anyone: it must not depend on this service's
// configuration, logging, metrics or network code. It never logs and never
// includes a secret or a body in an error.
package netboxhook
