package netboxhook

import (
	"crypto/sha512"
	"errors"
	"fmt"
	"strings"

	"github.com/githedgehog/hnp-gitops/pkg/hmachex"
)

// SignatureHeader is the request header that carries the signature.
const SignatureHeader = "X-Hook-Signature"

// Signature conditions; errors from Verify match one of them with errors.Is.
var (
	ErrMissingSignature = errors.New("netboxhook: missing signature")
	ErrBadSignature     = errors.New("netboxhook: bad signature")
	ErrNoSecret         = errors.New("netboxhook: no secret to verify with")
)

// Sign returns the signature NetBox sends for body: the HMAC-SHA512 of the
// exact body bytes keyed with the secret's bytes, as 128 lower-case hex
// characters.
func Sign(secret, body []byte) string { return hmachex.Sign(sha512.New, secret, body) }

// Verify checks signature (the X-Hook-Signature header value) against body in
// constant time. Upper-case hex and surrounding white space are tolerated; a
// prefix such as "sha512=" is not, because NetBox never sends one.
func Verify(secret, body []byte, signature string) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	signature = strings.TrimSpace(signature)
	if signature == "" {
		return ErrMissingSignature
	}
	if err := hmachex.Verify(sha512.New, secret, body, signature); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}
