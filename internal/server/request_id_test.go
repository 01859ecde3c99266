package server_test

import (
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/server"
)

// requestQueue is a queue that also takes the event's request id.
type requestQueue struct {
	fakeQueue
	mu       sync.Mutex
	requests map[int64]string
}

func (q *requestQueue) EnqueueRequest(id int64, reason, requestID string) {
	q.mu.Lock()
	if q.requests == nil {
		q.requests = map[int64]string{}
	}
	q.requests[id] = requestID
	q.mu.Unlock()
	q.Enqueue(id, reason)
}

// TestRequestIDReachesTheQueue: the id of the NetBox request that caused
// the event is handed on, so the commit can carry a NetBox-Request-ID
// trailer.
func TestRequestIDReachesTheQueue(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"4.0", "4.6"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			q := &requestQueue{}
			hs := newHarness(t, func(o *server.Options) { o.Queue = q })
			b, err := os.ReadFile("../../pkg/netboxhook/testdata/payload-" + version + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if rec := hs.do(postReq(b)); rec.Code != http.StatusAccepted {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			q.mu.Lock()
			defer q.mu.Unlock()
			if len(q.requests) != 1 {
				t.Fatalf("EnqueueRequest calls: %v, want one", q.requests)
			}
			for id, rid := range q.requests {
				if rid == "" {
					t.Errorf("fabric %d queued without its request id", id)
				}
			}
		})
	}
}
