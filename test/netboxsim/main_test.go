package netboxsim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/test/testkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testToken = "0123456789abcdef0123456789abcdef01234567"

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// start runs an emulator for one test.
func start(t *testing.T, o Options) *Server {
	t.Helper()
	if o.Token == "" {
		o.Token = testToken
	}
	s, err := Start(o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// response is one answer of the API.
type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
	return m
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

// do sends one request with the test token ("" auth sends none).
func do(t *testing.T, s *Server, method, path, auth string, body any) response {
	t.Helper()
	req := testkit.JSONRequest(t, t.Context(), method, s.URL()+path, auth, body)
	req.Header.Del("Accept")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func api(t *testing.T, s *Server, method, path string, body any) response {
	t.Helper()
	return do(t, s, method, path, "Token "+testToken, body)
}

// receiver is a webhook endpoint that records what it gets.
type receiver struct {
	mu     sync.Mutex
	status int
	got    []received
	srv    *http.Server
	url    string
	done   chan struct{}
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	r := &receiver{status: status, done: make(chan struct{})}
	ln := listen(t)
	r.url = "http://" + ln.Addr().String() + "/webhooks/netbox"
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), b})
		code := r.status
		r.mu.Unlock()
		w.WriteHeader(code)
	})}
	go func() {
		defer close(r.done)
		_ = r.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = r.srv.Shutdown(ctx)
		<-r.done
	})
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func waitDeliveries(t *testing.T, s *Server, n int) []Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ds, err := s.WaitDeliveries(ctx, n)
	if err != nil {
		t.Fatalf("waiting for %d deliveries: got %d: %v", n, len(ds), err)
	}
	return ds
}

func listenTCP() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

func listen(t *testing.T) net.Listener { return testkit.Listen(t) }

// createAndUpdate adds a webhook to url, creates a fabric and updates it:
// two events, delivered in order by the one worker.
func createAndUpdate(t *testing.T, s *Server, url string) Fabric {
	t.Helper()
	if _, _, err := s.AddWebhook(url, "k"); err != nil {
		t.Fatal(err)
	}
	f, err := s.CreateFabric(Fabric{Name: "f"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateFabric(f.ID, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	return f
}
