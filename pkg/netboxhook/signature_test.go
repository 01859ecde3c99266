package netboxhook_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
)

// TestSignMatchesPython checks Sign against the signature Python's hmac
// module computed in testdata/gen.py, exactly as NetBox does.
func TestSignMatchesPython(t *testing.T) {
	t.Parallel()
	body := readFile(t, "payload-4.6.json")
	want := strings.TrimSpace(string(readFile(t, "signature-4.6.txt")))
	if got := netboxhook.Sign([]byte("s3crét"), body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := []byte("s3crét")
	body := readFile(t, "payload-4.6.json")
	good := netboxhook.Sign(secret, body)
	tests := []struct {
		name    string
		secret  []byte
		body    []byte
		sig     string
		wantErr error
	}{
		{name: "valid", sig: good},
		{name: "upper-case hex", sig: strings.ToUpper(good)},
		{name: "surrounding space", sig: " " + good + "\t"},
		{name: "missing", sig: "", wantErr: netboxhook.ErrMissingSignature},
		{name: "blank", sig: "   ", wantErr: netboxhook.ErrMissingSignature},
		{name: "truncated", sig: good[:len(good)-2], wantErr: netboxhook.ErrBadSignature},
		{name: "too long", sig: good + "00", wantErr: netboxhook.ErrBadSignature},
		{name: "prefixed", sig: "sha512=" + good[7:], wantErr: netboxhook.ErrBadSignature},
		{name: "not hex", sig: strings.Repeat("zz", 64), wantErr: netboxhook.ErrBadSignature},
		{name: "one bit off", sig: flipLastHex(good), wantErr: netboxhook.ErrBadSignature},
		{name: "other secret", secret: []byte("s3cret"), sig: good, wantErr: netboxhook.ErrBadSignature},
		{name: "body changed", body: append(append([]byte{}, body...), ' '), sig: good, wantErr: netboxhook.ErrBadSignature},
		{name: "no secret", secret: []byte{}, sig: good, wantErr: netboxhook.ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, b := secret, body
			if tt.secret != nil {
				s = tt.secret
			}
			if tt.body != nil {
				b = tt.body
			}
			err := netboxhook.Verify(s, b, tt.sig)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), string(secret)) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func flipLastHex(s string) string {
	last := s[len(s)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return s[:len(s)-1] + string(repl)
}
