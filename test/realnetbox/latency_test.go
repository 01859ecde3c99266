package realnetbox

import (
	"flag"
	"fmt"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/test/testkit"
)

var latencyFabrics = flag.Int("realnetbox.latency", 3,
	"fabrics the save -> commit measurement creates (make bench: 20)")

// measureSaveToCommit creates n fabrics one after another through the
// target's REST API, each with its own directory holding the acceptance
// fixture under raw/, all in one repository, and logs the time from the
// create call returning to the commit being on the branch (the GitHub
// emulator's head, polled every 2ms): p50, p90, max. It is a measurement
// for `make bench` (which asks for 20 fabrics), not a test of speed: it
// fails only when a fabric's create does not lead to exactly one new commit.
func (s *suite) measureSaveToCommit(t *testing.T, n int) {
	name := uniqueName("latency")
	seed := map[string][]byte{"README.md": []byte("# latency\n")}
	for i := range n {
		for f, b := range testkit.Fixtures(t) {
			seed[path.Join("fabrics", fmt.Sprint(i), "raw", f)] = b
		}
	}
	bare := s.newRepo(t, name, seed)
	repoID := s.tg.createRepo(t, name, "https://github.com/"+owner+"/"+name+".git")
	lat := make([]time.Duration, 0, n)
	for i := range n {
		before, err := s.gh.Head(owner, name, "main")
		if err != nil {
			t.Fatal(err)
		}
		s.createFabric(t, fmt.Sprintf("%s-%d", name, i), repoID, fmt.Sprintf("/fabrics/%d/", i))
		created := time.Now()
		for {
			h, err := s.gh.Head(owner, name, "main")
			if err != nil {
				t.Fatal(err)
			}
			if h != before {
				break
			}
			if time.Since(created) > 60*time.Second {
				t.Fatalf("fabric %d: no commit within 60s", i)
			}
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, time.Since(created))
		if n := s.commits(t, bare); n != i+2 {
			t.Fatalf("fabric %d: main has %d commits, want %d (one per fabric)", i, n, i+2)
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1)+0.5)] }
	t.Logf("save -> commit on %s, %d fabrics: p50 %s, p90 %s, max %s", s.tg.name, n,
		pct(0.5).Round(time.Millisecond), pct(0.9).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
}

// TestLatencySim measures save -> commit on the emulator (patched mode),
// the figure beside the real one in docs/benchmarks.md.
func TestLatencySim(t *testing.T) {
	if *latencyFabrics < 1 {
		t.Fatalf("-realnetbox.latency=%d: want at least 1", *latencyFabrics)
	}
	s := startSuite(t, simTarget(t, false))
	s.setup(t)
	s.measureSaveToCommit(t, *latencyFabrics)
}
