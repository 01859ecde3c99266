package githubapp_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/githubapi/githubapp"
)

func TestSignJWT(t *testing.T) {
	t.Parallel()
	key, other := testKeys()
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name, appID string
		wantIss     any
	}{
		{"numeric App id", "12345", float64(12345)},
		{"client id", "Iv23liABCDEF", "Iv23liABCDEF"},
		{"leading zero stays a string", "0123", "0123"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			jwt, err := githubapp.SignJWT(key, tc.appID, now)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(jwt, ".")
			if len(parts) != 3 || strings.ContainsAny(jwt, "=+/") {
				t.Fatalf("JWT %q is not three base64url parts without padding", jwt)
			}
			hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
			if string(hdr) != `{"alg":"RS256","typ":"JWT"}` {
				t.Errorf("header = %s", hdr)
			}
			raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
			var claims map[string]any
			if err := json.Unmarshal(raw, &claims); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"iat": float64(now.Unix() - 60), "exp": float64(now.Add(9 * time.Minute).Unix()), "iss": tc.wantIss}
			if d := cmp.Diff(want, claims); d != "" {
				t.Errorf("claims (-want +got):\n%s", d)
			}
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
			if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
				t.Errorf("signature does not verify with the App's key: %v", err)
			}
			if err := rsa.VerifyPKCS1v15(&other.PublicKey, crypto.SHA256, sum[:], sig); err == nil {
				t.Error("signature verifies with another key")
			}
		})
	}
	if _, err := githubapp.SignJWT(nil, "1", now); err == nil {
		t.Error("SignJWT without a key succeeded")
	}
	if _, err := githubapp.SignJWT(key, "", now); err == nil {
		t.Error("SignJWT without an App id succeeded")
	}
}
