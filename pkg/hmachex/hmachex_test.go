package hmachex_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/pkg/hmachex"
)

func sign(h func() hash.Hash, secret, body string) string {
	m := hmac.New(h, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	body := `{"event":"created"}`
	good256, good512 := sign(sha256.New, "s3cret", body), sign(sha512.New, "s3cret", body)
	tests := []struct {
		name string
		h    func() hash.Hash
		sig  string
		want string // "" for valid
	}{
		{"sha256", sha256.New, good256, ""},
		{"Sign", sha256.New, hmachex.Sign(sha256.New, []byte("s3cret"), []byte(body)), ""},
		{"sha512", sha512.New, good512, ""},
		{"upper-case hex", sha512.New, strings.ToUpper(good512), ""},
		{"sha256 signature for sha512", sha512.New, good256, "64 characters, want 128"},
		{"other secret", sha256.New, sign(sha256.New, "other", body), "mismatch"},
		{"other body", sha256.New, sign(sha256.New, "s3cret", body+" "), "mismatch"},
		{"not hex", sha256.New, strings.Repeat("zz", 32), "not hex"},
	}
	for _, tt := range tests {
		err := hmachex.Verify(tt.h, []byte("s3cret"), []byte(body), tt.sig)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: Verify = %q, want %q", tt.name, got, tt.want)
		}
		if strings.Contains(got, "s3cret") || strings.Contains(got, body) {
			t.Errorf("%s: the reason %q shows the secret or the body", tt.name, got)
		}
	}
}
