package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/server"
	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/nbwire"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

func listen(t *testing.T) net.Listener { return testkit.Listen(t) }

// serveBackground runs server.Serve on a new loopback listener until
// cancel; done receives Serve's result.
func serveBackground(t *testing.T, h http.Handler, shutdown time.Duration) (net.Listener, context.CancelFunc, chan error) {
	t.Helper()
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, h, shutdown, nil) }()
	return ln, cancel, done
}

// TestServeGraceful serves the real handler, then cancels: Serve returns nil
// and the port is closed.
func TestServeGraceful(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, nil)
	ln, cancel, done := serveBackground(t, hs.h, time.Second)

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := client.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

// TestServeShutdownTimeout holds a request open past the shutdown bound:
// Serve cuts it off and says so.
func TestServeShutdownTimeout(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})
	ln, cancel, done := serveBackground(t, h, 50*time.Millisecond)

	clientDone := make(chan struct{})
	go func() {
		defer close(clientDone)
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		if resp, err := client.Get("http://" + ln.Addr().String() + "/slow"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Serve: %v, want a deadline error", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Serve did not return after the shutdown bound")
	}
	close(release)
	<-clientDone
}

// TestServeListenerFails returns the serve error when the listener dies.
func TestServeListenerFails(t *testing.T) {
	t.Parallel()
	ln := listen(t)
	ln.Close()
	err := server.Serve(context.Background(), ln, http.NotFoundHandler(), time.Second, nil)
	if err == nil {
		t.Fatal("Serve on a closed listener: want an error")
	}
}

// TestServeWebhookOverTCP drives the real handler through Serve over a real
// connection: a signed delivery is queued, and a chunked body over the cap
// (no Content-Length to trust) is refused with 413.
func TestServeWebhookOverTCP(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, nil)
	ln, cancel, done := serveBackground(t, hs.h, time.Second)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	transport := &http.Transport{DisableKeepAlives: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	url := "http://" + ln.Addr().String() + "/webhooks/netbox"

	pre := fabric{id: 9, status: "initialized"}
	post := pre
	post.description = "edited"
	body := delivery(t, nbwire.Form46, "updated", "r-tcp", &pre, &post)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set(netboxhook.SignatureHeader, sign(body))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("signed delivery: %d", resp.StatusCode)
	}

	big := bytes.Repeat([]byte("x"), 200<<10) // the harness caps at 64 KiB
	req, _ = http.NewRequest(http.MethodPost, url, io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1 // sent chunked
	req.Header.Set(netboxhook.SignatureHeader, sign(big))
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked oversize: %d, want 413", resp.StatusCode)
	}
	if diff := cmp.Diff([]int64{9}, hs.queue.Keys()); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}
}
