package githubapp

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ErrKey is wrapped by every private-key parsing error.
var ErrKey = errors.New("githubapp: private key")

// ParsePrivateKey parses the App's private key as GitHub issues it (PEM
// "RSA PRIVATE KEY", PKCS#1) or as PKCS#8 ("PRIVATE KEY", RSA only). The
// errors never contain key material.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrKey)
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: not a valid PKCS#1 RSA key", ErrKey)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: not a valid PKCS#8 key", ErrKey)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: PKCS#8 key is %T, GitHub Apps use RSA", ErrKey, k)
		}
		return rk, nil
	default:
		return nil, fmt.Errorf("%w: PEM block %q, want \"RSA PRIVATE KEY\" or \"PRIVATE KEY\"", ErrKey, block.Type)
	}
}
