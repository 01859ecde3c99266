package githubapp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// JWT lifetimes: GitHub accepts at most 10 minutes; iat is back-dated a
// minute against clock drift, as GitHub recommends.
const (
	jwtBackdate = 60 * time.Second
	jwtLifetime = 9 * time.Minute
)

// jwtHeader is the fixed, pre-encoded RS256 header.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))

// SignJWT returns the App JWT for appID (the numeric App id or the client
// id) at now: RS256, iat = now-60s, exp = now+9min, iss = appID.
func SignJWT(key *rsa.PrivateKey, appID string, now time.Time) (string, error) {
	if key == nil {
		return "", errors.New("githubapp: sign JWT: no private key")
	}
	if appID == "" {
		return "", errors.New("githubapp: sign JWT: no App id")
	}
	claims := struct {
		Iat int64 `json:"iat"`
		Exp int64 `json:"exp"`
		Iss any   `json:"iss"`
	}{Iat: now.Add(-jwtBackdate).Unix(), Exp: now.Add(jwtLifetime).Unix(), Iss: issuer(appID)}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("githubapp: sign JWT: %w", err)
	}
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", errors.New("githubapp: sign JWT: RSA signature failed")
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// issuer is the iss claim: a number for a numeric App id (as GitHub's
// examples send it), else the client id as a string.
func issuer(appID string) any {
	if n, err := strconv.ParseInt(appID, 10, 64); err == nil && n > 0 && strconv.FormatInt(n, 10) == appID {
		return n
	}
	return appID
}
