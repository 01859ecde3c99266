package githubapi_test

import (
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
)

// requestTimers counts the goroutines net/http starts to enforce a
// client's timeout; each lives until its response body is closed.
func requestTimers() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "net/http.setRequestCancel")
}

type wrapped struct{ rt http.RoundTripper }

func (w wrapped) RoundTrip(r *http.Request) (*http.Response, error) { return w.rt.RoundTrip(r) }

// An error answer must not leave its request timer running until
// RequestTimeout: go-github reads the body of an error to its end and then
// swaps it for a copy without closing it, so the port closes a body once it
// has been read to the end. (Not parallel: it counts goroutines.)
func TestErrorAnswerReleasesRequestTimer(t *testing.T) {
	e := newEnv(t, githubsim.Options{}, func(o *githubapi.GitHubOptions) {
		o.RequestTimeout = time.Minute
		// A wrapped transport, as the service's metrics wrap it: net/http
		// then enforces the timeout with a goroutine per request.
		base := o.Transport
		o.Transport = wrapped{base}
		o.TokenFor = func(gitport.Repo) string { return "ghp_WRONGTESTTOKEN" }
	})
	e.seedAcceptance(t)
	before := requestTimers()
	if _, err := e.apply(t, gitport.Target{}); err == nil {
		t.Fatal("Apply with a wrong token succeeded")
	}
	deadline := time.Now().Add(2 * time.Second)
	for requestTimers() > before {
		if time.Now().After(deadline) {
			t.Fatalf("request timers running: %d after the error answer, %d before", requestTimers(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
