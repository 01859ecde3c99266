package edge

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binPath is the hnp-gitops binary TestMain built, for the rows that
// measure the service's memory as a process.
var binPath string

// TestMain builds the binary and makes this process trust the certificate
// of net/http/httptest's TLS servers (the same built-in certificate for
// every one of them, valid for 127.0.0.1), so that a row can stand up an
// HTTPS "other host" and see whether the service sends it the GitHub token.
// SSL_CERT_FILE is read when the first TLS connection verifies a
// certificate, so it must be set before any test runs.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hnp-gitops-edge-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "edge:", err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		srv := httptest.NewTLSServer(http.NotFoundHandler())
		cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		srv.Close()
		certFile := filepath.Join(dir, "httptest-ca.pem")
		if err := os.WriteFile(certFile, cert, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "edge:", err)
			return 1
		}
		os.Setenv("SSL_CERT_FILE", certFile)

		binPath = filepath.Join(dir, "hnp-gitops")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/hnp-gitops")
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "edge: go build ./cmd/hnp-gitops: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}
