package netboxsim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

func benchRequest(b *testing.B, c *http.Client, method, url string, body []byte) {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Token "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s %s: %d", method, url, resp.StatusCode)
	}
}

// BenchmarkFabricGet is one GET of a fabric on loopback.
func BenchmarkFabricGet(b *testing.B) {
	s, err := Start(Options{Token: testToken})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.SetupStatusFields(); err != nil {
		b.Fatal(err)
	}
	c, url := benchFabric(b, s)
	b.ResetTimer()
	for range b.N {
		benchRequest(b, c, "GET", url, nil)
	}
}

// BenchmarkStatusWriteWithWebhook is one custom-field PATCH and the
// signed webhook it causes, delivered to a receiver on loopback.
func BenchmarkStatusWriteWithWebhook(b *testing.B) {
	recv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})}
	ln, err := listenTCP()
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = recv.Serve(ln) }()
	defer recv.Close()
	s, err := Start(Options{Token: testToken})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.SetupStatusFields(); err != nil {
		b.Fatal(err)
	}
	if _, _, err := s.AddWebhook("http://"+ln.Addr().String()+"/", "secret"); err != nil {
		b.Fatal(err)
	}
	c, url := benchFabric(b, s)
	bodies := [][]byte{
		[]byte(`{"custom_fields": {"gitops_directory_status": "initializing"}}`),
		[]byte(`{"custom_fields": {"gitops_directory_status": "initialized", "directory_init_error": "", "last_directory_sync": "2026-03-06T15:11:23+00:00"}}`),
	}
	b.ResetTimer()
	for i := range b.N {
		benchRequest(b, c, "PATCH", url, bodies[i%2])
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ds, err := s.WaitDeliveries(ctx, b.N+1)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range ds {
		if !d.OK() {
			b.Fatalf("delivery failed: %+v", d)
		}
	}
}

// benchFabric creates a fabric and returns a client and its API URL.
func benchFabric(b *testing.B, s *Server) (*http.Client, string) {
	b.Helper()
	f, err := s.CreateFabric(Fabric{Name: "f"})
	if err != nil {
		b.Fatal(err)
	}
	return &http.Client{Timeout: 10 * time.Second}, fmt.Sprintf("%s/api/plugins/hedgehog/fabrics/%d/", s.URL(), f.ID)
}
