package githubapi_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// BenchmarkApply times Apply on the emulator (loopback, real bare
// repository): "init" lands the acceptance case (9 requests, one commit) in
// a fresh repository per iteration; "noop" is the steady-state reconcile
// (3 reads).
func BenchmarkApply(b *testing.B) {
	// The contract check is for tests; a benchmark times the adapter and
	// the emulator alone.
	plain := githubsim.Options{Wrap: func(h http.Handler) http.Handler { return h }}
	b.Run("init", func(b *testing.B) {
		e := newEnv(b, plain, nil)
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			repo := e.repo
			repo.Name = "bench-" + strconv.Itoa(i)
			if _, err := e.sim.CreateRepo(owner, repo.Name, true, "main"); err != nil {
				b.Fatal(err)
			}
			files := map[string][]byte{}
			for n, c := range testkit.Fixtures(b) {
				files[rawDir+"/"+n] = c
			}
			if _, err := e.sim.SeedFiles(owner, repo.Name, "main", files, "seed"); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if res, err := e.apply(b, gitport.Target{Repo: repo}); err != nil || !res.Changed {
				b.Fatalf("Apply = %+v, %v", res, err)
			}
		}
	})
	b.Run("noop", func(b *testing.B) {
		e := newEnv(b, plain, nil)
		e.seedAcceptance(b)
		if _, err := e.apply(b, gitport.Target{}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if res, err := e.apply(b, gitport.Target{}); err != nil || res.Changed {
				b.Fatalf("Apply = %+v, %v", res, err)
			}
		}
	})
}
