package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/githedgehog/hnp-gitops/internal/metrics"
	"github.com/githedgehog/hnp-gitops/internal/server"
	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/nbwire"
)

type nopQueue struct{}

func (nopQueue) Enqueue(int64, string) {}

// benchRequest replays one signed 4.6 fabric update; the request is reused
// with its body rewound, so the benchmark measures the handler, not request
// construction.
func benchRun(b *testing.B, h http.Handler) {
	pre := fabric{id: 7, status: "initialized"}
	post := pre
	post.description = "edited"
	body := delivery(b, nbwire.Form46, "updated", "r-bench", &pre, &post)
	sig := netboxhook.Sign([]byte(testSecret), body)
	rd := bytes.NewReader(body)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/netbox", rd)
	req.Header.Set(netboxhook.SignatureHeader, sig)
	req.Header.Set("Content-Type", "application/json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkWebhook is the real receiver: cap, verify, parse, enqueue.
func BenchmarkWebhook(b *testing.B) {
	h, err := server.New(server.Options{
		WebhookSecret: []byte(testSecret), Queue: nopQueue{},
		Metrics: metrics.New(metrics.BuildInfo{}),
	})
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, h)
}

// BenchmarkBare is the baseline of the latency target: an echo handler that
// answers 202 without reading the body.
func BenchmarkBare(b *testing.B) {
	e := echo.New()
	e.POST("/webhooks/netbox", func(c echo.Context) error { return c.NoContent(http.StatusAccepted) })
	benchRun(b, e)
}
