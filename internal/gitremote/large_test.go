package gitremote_test

import (
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/internal/gitrepo"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// TestApplyOversizedByBlobID: a file in raw/ over the engine's size limit
// (lowered to 64 KiB, 2 MiB of random bytes) is not in the plan's snapshot,
// is not pushed again (the push is far smaller than it), and lands under
// unmanaged/ as the same blob.
func TestApplyOversizedByBlobID(t *testing.T) {
	t.Parallel()
	lim := fgd.Limits{MaxFileBytes: 64 << 10}
	big := make([]byte, 2<<20)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range big {
		big[i] = byte(r.UintN(256))
	}
	bigSHA := fgd.BlobSHA(big)
	pushed := &countingTransport{}
	e := newEnv(t, func(o *gitremote.Options) {
		o.Wanted = func(es []fgd.Entry) []string { return fgd.WantedWith(es, lim) }
		pushed.base = o.HTTPClient.Transport
		o.HTTPClient = &http.Client{Transport: pushed}
	})
	commitFiles(t, e.bare, "main", map[string][]byte{
		"README.md": []byte("# fabrics\n"), rawDir + "/dump/big.yaml": big, rawDir + "/test-vpc.yaml": fixtures(t)["test-vpc.yaml"],
	}, "Add a dump")

	plan := func(head string, dirs map[string]fgd.Snapshot) (gitrepo.Proposal, error) {
		var p gitrepo.Proposal
		for dir, snap := range dirs {
			if _, read := snap.Contents["raw/dump/big.yaml"]; read {
				t.Errorf("the 2 MiB file was read for the plan")
			}
			res, err := fgd.Compute(snap, fgd.Settings{FabricID: 1, FabricName: "fabric-1", RepoDir: dir, ParentCommit: head, Limits: lim})
			if err != nil {
				return p, err
			}
			for _, c := range res.Changes {
				c.Path = dir + "/" + c.Path
				p.Changes = append(p.Changes, c)
			}
			p.Message = res.Summary
		}
		return p, nil
	}
	res, err := e.apply(t, gitrepo.Target{}, plan)
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
	p := fgdDir + "/unmanaged/dump/big.yaml"
	if got := strings.TrimSpace(run(t, ".", "--git-dir", e.bare, "rev-parse", "main:"+p)); got != bigSHA {
		t.Errorf("%s is blob %s, want %s", p, got, bigSHA)
	}
	out, err := exec.Command("git", "--git-dir", e.bare, "cat-file", "blob", "main:"+p).Output()
	if err != nil || string(out) != string(big) {
		t.Errorf("%s is not byte for byte the 2 MiB file (err %v, %d bytes)", p, err, len(out))
	}
	fsck(t, e.bare)
	files := clone(t, e.bare, "main")
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
