// Package hmachex checks a hex-encoded HMAC of a request body, in constant
// time: the one signature check behind NetBox's X-Hook-Signature
// (HMAC-SHA512) and Gitea's and GitHub's (HMAC-SHA256) webhook signatures.
package hmachex

import (
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
)

// Sign returns the lower-case hex HMAC of body under secret with the hash
// newHash makes.
func Sign(newHash func() hash.Hash, secret, body []byte) string {
	m := hmac.New(newHash, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports why sig is not the hex HMAC of body under secret with the
// hash newHash makes (nil when it is). Upper-case hex is accepted. The
// reason never contains the secret, the signature or the body.
func Verify(newHash func() hash.Hash, secret, body []byte, sig string) error {
	m := hmac.New(newHash, secret)
	want := hex.EncodedLen(m.Size())
	if len(sig) != want {
		return fmt.Errorf("%d characters, want %d", len(sig), want)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return errors.New("not hex")
	}
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return errors.New("mismatch")
	}
	return nil
}
