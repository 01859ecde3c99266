package githook

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/githedgehog/hnp-gitops/pkg/hmachex"
)

// Signature conditions; errors from Verify match one of them with errors.Is.
var (
	ErrMissingSignature = errors.New("githook: missing signature")
	ErrBadSignature     = errors.New("githook: bad signature")
	ErrNoSecret         = errors.New("githook: no secret to verify with")
)

// The headers that carry a delivery's proof of origin.
const (
	GitHubSignatureHeader  = "X-Hub-Signature-256"
	GiteaSignatureHeader   = "X-Gitea-Signature"
	ForgejoSignatureHeader = "X-Forgejo-Signature"
	GitLabTokenHeader      = "X-Gitlab-Token"
)

// SignGitHub returns the X-Hub-Signature-256 value GitHub sends for body:
// "sha256=" and the lower-case hex HMAC-SHA256 of the exact body bytes.
func SignGitHub(secret, body []byte) string { return "sha256=" + hexHMAC(secret, body) }

// SignGitea returns the X-Gitea-Signature value Gitea (and Forgejo, as
// X-Forgejo-Signature) sends for body: the lower-case hex HMAC-SHA256 of the
// exact body bytes, without a prefix.
func SignGitea(secret, body []byte) string { return hexHMAC(secret, body) }

func hexHMAC(secret, body []byte) string { return hmachex.Sign(sha256.New, secret, body) }

// Verify checks the delivery's proof of origin for its host in constant
// time: the HMAC of body for GitHub and Gitea, the token for GitLab. It
// must run before Parse.
func Verify(host Host, secret, body []byte, h http.Header) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	switch host {
	case GitHub:
		sig, ok := strings.CutPrefix(strings.TrimSpace(h.Get(GitHubSignatureHeader)), "sha256=")
		if !ok {
			if h.Get(GitHubSignatureHeader) == "" {
				return ErrMissingSignature
			}
			return fmt.Errorf("%w: want the sha256= form", ErrBadSignature)
		}
		return verifyHex(secret, body, sig)
	case Gitea:
		sig := h.Get(GiteaSignatureHeader)
		if sig == "" {
			sig = h.Get(ForgejoSignatureHeader)
		}
		return verifyHex(secret, body, strings.TrimSpace(sig))
	case GitLab:
		token := h.Get(GitLabTokenHeader)
		if token == "" {
			return ErrMissingSignature
		}
		// Compare digests so that the time taken does not tell the length.
		a, b := sha256.Sum256([]byte(token)), sha256.Sum256(secret)
		if !hmac.Equal(a[:], b[:]) {
			return fmt.Errorf("%w: token mismatch", ErrBadSignature)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown host", ErrBadSignature)
}

func verifyHex(secret, body []byte, sig string) error {
	if sig == "" {
		return ErrMissingSignature
	}
	if err := hmachex.Verify(sha256.New, secret, body, sig); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}
