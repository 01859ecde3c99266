package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/harness"
)

// TestGitHubApp: serve configured with a GitHub App (id and private key,
// no personal token used) initializes the acceptance fabric in one commit
// made with an installation token, which GitHub shows as Verified because
// the commit carries no explicit identity.
func TestGitHubApp(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, harness.Options{GitHub: githubsim.Options{App: &githubsim.AppOptions{
		ID: "424242", PublicKey: &key.PublicKey, Repos: []string{harness.Owner + "/fabric-config"}, Slug: "hnp-gitops-app",
	}}}, "--github-app-id=424242", "--github-app-private-key-file="+keyFile, "--github-token=")
	_, bare, _ := s.initFabric(t)

	head := s.git(t, bare, "rev-parse", "main")
	if !s.env.GitHub.Verified(head) {
		t.Errorf("commit %s is not Verified: it should be made with the installation token and no explicit identity", head)
	}
	if author := s.git(t, bare, "log", "-1", "--format=%an", "main"); author != "hnp-gitops-app[bot]" {
		t.Errorf("author %q, want the App's bot", author)
	}
	if n := s.env.GitHub.Stats().InstallationTokens; n < 1 {
		t.Errorf("installation tokens issued: %d, want at least 1", n)
	}
	if strings.Contains(s.svc.Logs(), "BEGIN RSA PRIVATE KEY") {
		t.Error("the private key appears in the logs")
	}
}

// TestGitHubAppTokenMapWins: with a GitHub App configured, a token-map line
// for the repository's owner still decides: the App (installed nowhere
// here) is never asked for a token, and the fabric is initialized.
func TestGitHubAppTokenMapWins(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	mapFile := filepath.Join(dir, "token-map")
	if err := os.WriteFile(mapFile, []byte("github.com/"+harness.Owner+"="+harness.GitHubToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, harness.Options{GitHub: githubsim.Options{App: &githubsim.AppOptions{
		ID: "424242", PublicKey: &key.PublicKey,
	}}}, "--github-app-id=424242", "--github-app-private-key-file="+keyFile, "--github-token=", "--github-token-map-file="+mapFile)
	_, bare, _ := s.initFabric(t)
	st := s.env.GitHub.Stats()
	if st.InstallationTokens != 0 || st.Requests["GET /repos/{owner}/{repo}/installation"] != 0 {
		t.Errorf("the App was asked (installation tokens %d, lookups %d); the token-map line should win",
			st.InstallationTokens, st.Requests["GET /repos/{owner}/{repo}/installation"])
	}
	if head := s.git(t, bare, "rev-parse", "main"); s.env.GitHub.Verified(head) {
		t.Error("a commit made with the mapped token is marked Verified")
	}
}
