package edge

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/harness"
)

// The service's peak RSS (VmHWM, over the process's whole life) while it
// handles a 50 MiB file in raw/ must stay under the service's 64 MiB target:
// the engine never reads a file over fgd.DefaultLimits.MaxFileBytes (1 MiB),
// githubapi never fetches its blob (fgd.Wanted skips it by the tree entry's
// size) and the new tree names the existing blob under unmanaged/ by its
// SHA, so the file is never in the service's memory. (Before that: 142 MiB
// peak and 4 s, the blob fetched whole and re-sent inline.)
const largeFileTargetKB = 64 << 10

// TestBadInputLargeFile: a 50 MiB file in raw/, with the service as a
// process so that its peak RSS can be read. It is not parallel: the
// process must be the only one of the binary.
func TestBadInputLargeFile(t *testing.T) {
	s := startStack(t, true)
	big := bytes.Repeat([]byte("# 50 MiB of comment lines, far over the engine's 1 MiB file limit ........\n"), (50<<20)/75+1)
	repoID, bare := s.repo(t, "large", map[string][]byte{
		"README.md":               []byte("# large\n"),
		fgdDir + "/raw/good.yaml": []byte(vpcDoc),
		fgdDir + "/raw/big.yaml":  big,
	})
	idle, _ := s.svc.ProcStatusKB("VmHWM")
	t0 := time.Now()
	f := s.fabric(t, "large", repoID, "/"+fgdDir+"/")
	got := s.waitSettled(t, f.ID, 2*time.Minute)
	took := time.Since(t0)
	peak, err := s.svc.ProcStatusKB("VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(clone(t, bare), fgdDir)
	where := "nowhere"
	for _, p := range []string{"raw/big.yaml", "unmanaged/big.yaml"} {
		if b, err := os.ReadFile(filepath.Join(dir, p)); err == nil && fgd.BlobSHA(b) == fgd.BlobSHA(big) {
			where = p
		}
	}
	gh := s.env.GitHub.Stats()
	t.Logf("raw/big.yaml (%d bytes): status %q (error %v) after %s; file now at %s; service peak RSS %.1f MiB (%.1f MiB before); GitHub %d requests, %d writes",
		len(big), harness.FabricStatus(got), got.CustomFields[status.FieldError], took.Round(time.Millisecond), where,
		float64(peak)/1024, float64(idle)/1024, gh.Total(), gh.Writes)
	if harness.FabricStatus(got) != status.Initialized {
		t.Errorf("status %q, want initialized", harness.FabricStatus(got))
	}
	if where == "nowhere" {
		t.Errorf("the 50 MiB file is neither in raw/ nor in unmanaged/ byte for byte")
	}
	if _, err := os.Stat(filepath.Join(dir, "managed", "vpcs", "good-vpc.yaml")); err != nil {
		t.Errorf("the good document was not ingested: %v", err)
	}
	if where != "unmanaged/big.yaml" {
		t.Errorf("the 50 MiB file is at %s, want unmanaged/big.yaml byte for byte", where)
	}
	if n := gh.Requests["GET /repos/{owner}/{repo}/git/blobs/{file_sha}"]; n > 1 {
		t.Errorf("%d blob reads, want at most 1 (good.yaml): the 50 MiB blob must not be fetched", n)
	}
	if n := gh.Requests["POST /repos/{owner}/{repo}/git/blobs"]; n != 0 {
		t.Errorf("%d blob uploads, want none: the 50 MiB blob is reused by its SHA", n)
	}
	if peak > largeFileTargetKB {
		t.Errorf("service peak RSS %.1f MiB while handling a 50 MiB file in raw/, over the %d MiB target: the file was read or re-sent",
			float64(peak)/1024, largeFileTargetKB>>10)
	}
}
