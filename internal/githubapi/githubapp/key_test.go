package githubapp_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/githubapi/githubapp"
)

func TestParsePrivateKey(t *testing.T) {
	t.Parallel()
	key, _ := testKeys()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec8, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	corrupt := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("SECRETKEYMATERIAL")})
	tests := []struct {
		name string
		in   []byte
		ok   bool
		want string
	}{
		{"PKCS#1 as GitHub issues it", pkcs1, true, ""},
		{"PKCS#1 with text around", append(append([]byte("downloaded key\n"), pkcs1...), "\n"...), true, ""},
		{"PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), true, ""},
		{"empty", nil, false, "no PEM block"},
		{"not PEM", []byte("SECRETKEYMATERIAL"), false, "no PEM block"},
		{"corrupt PKCS#1", corrupt, false, "not a valid PKCS#1"},
		{"EC key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ec8}), false, "GitHub Apps use RSA"},
		{"public key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("SECRETKEYMATERIAL")}), false, `PEM block "PUBLIC KEY"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := githubapp.ParsePrivateKey(tc.in)
			if tc.ok {
				if err != nil || !k.Equal(key) {
					t.Fatalf("ParsePrivateKey = %v, %v; want the key", k != nil, err)
				}
				return
			}
			if !errors.Is(err, githubapp.ErrKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrKey containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "SECRETKEYMATERIAL") || strings.Contains(err.Error(), "U0VDUkVU") {
				t.Errorf("error contains key material: %v", err)
			}
		})
	}
}
