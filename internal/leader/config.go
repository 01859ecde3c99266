package leader

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ServiceAccountDir is where Kubernetes mounts a pod's service-account
// token, CA bundle and namespace.
const ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// ErrNotInCluster is returned by InCluster when the process does not run in
// a Kubernetes pod (no KUBERNETES_SERVICE_HOST/PORT or no token).
var ErrNotInCluster = errors.New("leader: not running in a Kubernetes cluster (KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT unset or no service-account token)")

// Config says how to reach the Kubernetes API server.
type Config struct {
	// Host is the API server's base URL, e.g. "https://10.96.0.1:443".
	Host string
	// TokenFile holds the bearer token. It is read again before every
	// request, because projected (bound) tokens are rotated by the kubelet.
	TokenFile string
	// CAFile is a PEM bundle that signs the API server's certificate. Empty:
	// the system roots.
	CAFile string
	// Namespace is the pod's namespace, the default for Options.Namespace.
	Namespace string
}

// InCluster returns the Config of the pod the process runs in, from
// KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT and ServiceAccountDir. It
// returns an error wrapping ErrNotInCluster when those are absent.
func InCluster() (*Config, error) {
	return inCluster(os.Getenv, ServiceAccountDir)
}

func inCluster(getenv func(string) string, dir string) (*Config, error) {
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, ErrNotInCluster
	}
	c := &Config{
		Host:      "https://" + net.JoinHostPort(host, port),
		TokenFile: filepath.Join(dir, "token"),
		CAFile:    filepath.Join(dir, "ca.crt"),
	}
	if _, err := readToken(c.TokenFile); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotInCluster, err)
	}
	if _, err := loadCA(c.CAFile); err != nil {
		return nil, err
	}
	ns, err := os.ReadFile(filepath.Join(dir, "namespace"))
	if err != nil {
		return nil, fmt.Errorf("leader: read namespace: %w", err)
	}
	c.Namespace = strings.TrimSpace(string(ns))
	return c, nil
}

// readToken reads the bearer token. Its errors name the file, never its
// content.
func readToken(path string) (string, error) {
	if path == "" {
		return "", errors.New("leader: no token file configured")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("leader: read token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("leader: token file %s is empty", path)
	}
	return tok, nil
}

func loadCA(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("leader: read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("leader: CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// httpClient builds the client for c: TLS 1.2 or later, verified against
// CAFile (or the system roots). Time limits come from the request contexts.
func (c *Config) httpClient() (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pool, err := loadCA(c.CAFile)
		if err != nil {
			return nil, err
		}
		tlsConf.RootCAs = pool
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}}, nil
}
