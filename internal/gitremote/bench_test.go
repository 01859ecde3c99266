package gitremote_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// BenchmarkApply measures one Apply over git http-backend on loopback: the
// acceptance case (fetch, plan, push of the laid-out FGD) and a no-op run,
// each in a repository that also holds `others` files outside the FGD
// (fetched with the head tree: the in-memory cost of a bigger repository).
func BenchmarkApply(b *testing.B) {
	for _, others := range []int{0, 5000} {
		b.Run(fmt.Sprintf("layout/others=%d", others), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				e := newEnv(b, nil)
				seedWithOthers(b, e, others)
				b.StartTimer()
				res, err := e.apply(b, gitport.Target{}, nil)
				if err != nil || !res.Changed {
					b.Fatalf("Apply = %+v, %v", res, err)
				}
			}
		})
		b.Run(fmt.Sprintf("noop/others=%d", others), func(b *testing.B) {
			e := newEnv(b, nil)
			seedWithOthers(b, e, others)
			if _, err := e.apply(b, gitport.Target{}, nil); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				res, err := e.apply(b, gitport.Target{}, nil)
				if err != nil || res.Changed {
					b.Fatalf("Apply = %+v, %v", res, err)
				}
			}
		})
	}
}

func seedWithOthers(b testing.TB, e *env, others int) {
	files := map[string][]byte{"README.md": []byte("# fabrics\n")}
	for n, c := range testkit.Fixtures(b) {
		files[rawDir+"/"+n] = c
	}
	for i := range others {
		files[fmt.Sprintf("apps/app-%03d/file-%04d.yaml", i/100, i)] = []byte(strings.Repeat(fmt.Sprintf("line %d of a file outside the FGD\n", i), 30))
	}
	commitFiles(b, e.bare, "main", files, "seed")
}
