package netboxhook

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
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
func Sign(secret, body []byte) string {
	m := hmac.New(sha512.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

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
	if len(signature) != hex.EncodedLen(sha512.Size) {
		return fmt.Errorf("%w: %d characters, want %d", ErrBadSignature, len(signature), hex.EncodedLen(sha512.Size))
	}
	got, err := hex.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrBadSignature)
	}
	m := hmac.New(sha512.New, secret)
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return fmt.Errorf("%w: mismatch", ErrBadSignature)
	}
	return nil
}
