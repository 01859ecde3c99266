package gitremote_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// TestApplyOversizedByBlobID: a file in raw/ over the engine's size limit
// (lowered to 64 KiB, 2 MiB of random bytes) is not in the plan's snapshot,
// is not pushed again (the push is far smaller than it), and lands under
// unmanaged/ as the same blob.
func TestApplyOversizedByBlobID(t *testing.T) {
	t.Parallel()
	lim := fgd.Limits{MaxFileBytes: 64 << 10}
	big := testkit.RandomBytes(2<<20, 3, 4)
	bigSHA := fgd.BlobSHA(big)
	pushed := &countingTransport{}
	e := newEnv(t, func(o *gitremote.Options) {
		o.Wanted = func(es []fgd.Entry) []string { return fgd.WantedWith(es, lim) }
		pushed.base = o.HTTPClient.Transport
		o.HTTPClient = &http.Client{Transport: pushed}
	})
	commitFiles(t, e.bare, "main", map[string][]byte{
		"README.md": []byte("# fabrics\n"), rawDir + "/dump/big.yaml": big, rawDir + "/test-vpc.yaml": testkit.Fixtures(t)["test-vpc.yaml"],
	}, "Add a dump")

	engine := testkit.Plan(fgd.Settings{FabricID: 1, FabricName: "fabric-1", Limits: lim})
	plan := func(head string, dirs map[string]fgd.Snapshot) (gitport.Proposal, error) {
		for _, snap := range dirs {
			if _, read := snap.Contents["raw/dump/big.yaml"]; read {
				t.Errorf("the 2 MiB file was read for the plan")
			}
		}
		return engine(head, dirs)
	}
	res, err := e.apply(t, gitport.Target{}, plan)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	n := pushed.bytes.Load()
	t.Logf("push request bodies: %d bytes", n)
	if !res.Changed || e.srv.pushes() != 1 {
		t.Errorf("Changed=%v pushes=%d, want true 1", res.Changed, e.srv.pushes())
	}
	if n == 0 || n > 256<<10 {
		t.Errorf("pushed %d bytes, want some but far under the 2 MiB file: its blob must be reused, not sent", n)
	}
	testkit.CheckBlob(t, e.bare, "main", fgdDir+"/unmanaged/dump/big.yaml", bigSHA, big)
	fsck(t, e.bare)
	files := testkit.Clone(t, e.bare, "main")
	if _, ok := files[rawDir+"/dump/big.yaml"]; ok {
		t.Errorf("raw/dump/big.yaml is still there")
	}
	if _, ok := files[fgdDir+"/managed/vpcs/test-vpc.yaml"]; !ok {
		t.Errorf("the small file was not ingested")
	}
}

// countingTransport counts the bytes of request bodies sent to
// git-receive-pack.
type countingTransport struct {
	base  http.RoundTripper
	bytes atomic.Int64
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && strings.HasSuffix(req.URL.Path, "/git-receive-pack") {
		req.Body = &countingBody{ReadCloser: req.Body, n: &c.bytes}
	}
	base := c.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
