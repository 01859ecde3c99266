package githubsim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// AppOptions switches on GitHub App mode: App JWTs (RS256, signed with the
// private key of PublicKey, iss = ID) may look up the installation of a
// repository and create installation access tokens, which are then
// accepted like Options.Token on the installed repositories until they
// expire.
type AppOptions struct {
	// ID is the App's id (or client id): the JWT's iss must equal it.
	ID string
	// PublicKey verifies the JWT signatures.
	PublicKey *rsa.PublicKey
	// InstallationID is the one installation's id (0: 1).
	InstallationID int64
	// Repos lists the "owner/name" repositories the App is installed on
	// (case-insensitive).
	Repos []string
	// TokenLifetime is how long an installation token lives (0: one hour,
	// like GitHub).
	TokenLifetime time.Duration
	// Slug names the App's bot, "<Slug>[bot]", the author of commits made
	// with an installation token and no explicit author (default
	// "hnp-gitops-sim"). Such commits are reported as verified.
	Slug string
}

// installToken is an issued installation access token.
type installToken struct {
	installation int64
	expires      time.Time
}

// GitHub's answers to JWT problems (401).
const (
	msgJWTDecode = "A JSON web token could not be decoded"
	msgJWTExp    = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	msgJWTIat    = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	msgJWTTooFar = "'Expiration time' claim ('exp') is too far in the future"
	msgJWTIss    = "Integration not found"
)

// maxJWTLifetime is GitHub's limit on exp - now.
const maxJWTLifetime = 10 * time.Minute

// jwtSkew is the clock drift tolerated on iat.
const jwtSkew = time.Minute

func (s *Server) appRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /repos/{owner}/{repo}/installation", s.getRepoInstallation)
	m.HandleFunc("POST /app/installations/{installation_id}/access_tokens", s.createAccessToken)
}

func (s *Server) installationID() int64 {
	if s.opts.App.InstallationID != 0 {
		return s.opts.App.InstallationID
	}
	return 1
}

func (s *Server) appInstalled(owner, name string) bool {
	return slices.ContainsFunc(s.opts.App.Repos, func(r string) bool { return strings.EqualFold(r, owner+"/"+name) })
}

// appAuth checks the request's App JWT; on failure it has answered.
func (s *Server) appAuth(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.App == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return false
	}
	h := r.Header.Get("Authorization")
	jwt, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(jwt) == "" {
		writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
		return false
	}
	if msg := s.verifyJWT(strings.TrimSpace(jwt)); msg != "" {
		writeError(w, http.StatusUnauthorized, msg)
		return false
	}
	return true
}

// verifyJWT returns "" for a valid App JWT, else GitHub's message.
func (s *Server) verifyJWT(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return msgJWTDecode
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(raw, &hdr) != nil || hdr.Alg != "RS256" {
		return msgJWTDecode
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return msgJWTDecode
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(s.opts.App.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return msgJWTDecode
	}
	var claims struct {
		Iat json.Number `json:"iat"`
		Exp json.Number `json:"exp"`
		Iss any         `json:"iss"`
	}
	raw, err = base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return msgJWTDecode
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if dec.Decode(&claims) != nil {
		return msgJWTDecode
	}
	now := s.opts.Now()
	iat, err := claims.Iat.Int64()
	if err != nil || time.Unix(iat, 0).After(now.Add(jwtSkew)) {
		return msgJWTIat
	}
	exp, err := claims.Exp.Int64()
	if err != nil || !time.Unix(exp, 0).After(now) {
		return msgJWTExp
	}
	if time.Unix(exp, 0).Sub(now) > maxJWTLifetime+jwtSkew || exp-iat > int64((maxJWTLifetime+jwtSkew)/time.Second) {
		return msgJWTTooFar
	}
	var iss string
	switch v := claims.Iss.(type) {
	case string:
		iss = v
	case json.Number:
		iss = v.String()
	}
	if iss == "" || iss != s.opts.App.ID {
		return msgJWTIss
	}
	return ""
}

// getRepoInstallation serves GET /repos/{owner}/{repo}/installation.
func (s *Server) getRepoInstallation(w http.ResponseWriter, r *http.Request) {
	if !s.appAuth(w, r) {
		return
	}
	owner, name := r.PathValue("owner"), r.PathValue("repo")
	if s.repo(owner, name) == nil || !s.appInstalled(owner, name) {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.installationJSON(r, owner))
}

// installationJSON is the installation of the App on owner, as GitHub
// describes it (an integer app_id, a full account).
func (s *Server) installationJSON(r *http.Request, owner string) map[string]any {
	id := s.installationID()
	ids := strconv.FormatInt(id, 10)
	account := s.userJSON(r, owner)
	when := created.Format(time.RFC3339)
	return map[string]any{
		"id": id, "app_id": s.appNumber(), "app_slug": s.appSlug(), "client_id": s.opts.App.ID,
		"account": account, "target_id": account["id"], "target_type": "Organization", "single_file_name": nil,
		"repository_selection": "selected", "events": []string{}, "created_at": when, "updated_at": when,
		"suspended_by": nil, "suspended_at": nil, "has_multiple_single_files": false, "single_file_paths": []string{},
		"access_tokens_url": "http://" + r.Host + "/app/installations/" + ids + "/access_tokens",
		"repositories_url":  "http://" + r.Host + "/installation/repositories",
		"html_url":          s.opts.WebURL + "/organizations/" + owner + "/settings/installations/" + ids,
		"permissions":       map[string]string{"contents": "write", "metadata": "read", "pull_requests": "write"},
	}
}

// appNumber is the App's numeric id: ID when it is a number, else (a
// client id) one derived from it.
func (s *Server) appNumber() int64 {
	if n, err := strconv.ParseInt(s.opts.App.ID, 10, 64); err == nil {
		return n
	}
	return idOf("app", s.opts.App.ID)
}

// createAccessToken serves POST /app/installations/{installation_id}/access_tokens.
func (s *Server) createAccessToken(w http.ResponseWriter, r *http.Request) {
	if !s.appAuth(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("installation_id"), 10, 64)
	if err != nil || id != s.installationID() {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	tok, err := newInstallToken()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "token generation failed")
		return
	}
	life := s.opts.App.TokenLifetime
	if life <= 0 {
		life = time.Hour
	}
	s.mu.Lock()
	exp := s.opts.Now().Add(life)
	if s.appTokens == nil {
		s.appTokens = map[string]installToken{}
	}
	s.appTokens[tok] = installToken{installation: id, expires: exp}
	s.stats.InstallationTokens++
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":                tok,
		"expires_at":           exp.UTC().Format(time.RFC3339),
		"permissions":          map[string]string{"contents": "write", "metadata": "read", "pull_requests": "write"},
		"repository_selection": "selected",
	})
}

func newInstallToken() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 36)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "ghs_" + string(b), nil
}

// errTokenExpired marks an installation token past its expiry.
var errTokenExpired = errors.New("expired")

// installTokenFor reports whether tok is an issued installation token, and
// when it is, whether it is still valid (nil) or expired.
func (s *Server) installTokenFor(tok string) (bool, error) {
	if s.opts.App == nil || tok == "" {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.appTokens[tok]
	if !ok {
		return false, nil
	}
	if !s.opts.Now().Before(it.expires) {
		return true, errTokenExpired
	}
	return true, nil
}

// ExpireInstallationTokens makes every issued installation token invalid
// at once, as if an hour had passed.
func (s *Server) ExpireInstallationTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.appTokens {
		v.expires = time.Time{}
		s.appTokens[k] = v
	}
}

func (s *Server) appSlug() string {
	if s.opts.App != nil && s.opts.App.Slug != "" {
		return s.opts.App.Slug
	}
	return "hnp-gitops-sim"
}

// isInstallRequest reports whether r carries a valid installation token.
func (s *Server) isInstallRequest(r *http.Request) bool {
	tok := r.Header.Get("Authorization")
	tok = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(tok, "Bearer "), "token "))
	ok, err := s.installTokenFor(tok)
	return ok && err == nil
}

// markVerified records that commit h was made by the App's bot without an
// explicit author and committer: GitHub signs those and shows them as
// Verified.
func (s *Server) markVerified(r *http.Request, h plumbing.Hash, author, committer *personIn) {
	if author != nil && (author.Name != "" || author.Email != "") || committer != nil && (committer.Name != "" || committer.Email != "") {
		return
	}
	if !s.isInstallRequest(r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.verified == nil {
		s.verified = map[string]bool{}
	}
	s.verified[h.String()] = true
}

func (s *Server) verification(h plumbing.Hash) map[string]any {
	if s.Verified(h.String()) {
		// GitHub's own signature of a commit made for an App.
		return map[string]any{"verified": true, "reason": "valid", "signature": "-----BEGIN PGP SIGNATURE-----\n(githubsim)\n-----END PGP SIGNATURE-----\n",
			"payload": "tree " + h.String() + "\n", "verified_at": created.Format(time.RFC3339)}
	}
	return map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil}
}

// Verified reports whether commit sha would show as Verified on GitHub:
// made through the API with an installation token and no explicit author
// or committer.
func (s *Server) Verified(sha string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verified[sha]
}
