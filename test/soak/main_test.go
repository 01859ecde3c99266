package soak

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	flagFabrics = flag.Int("soak.fabrics", 0, "fabrics of TestSoak (default 40, or 300 with -soak.long)")
	flagLong    = flag.Bool("soak.long", false, "the long form: more fabrics, a 500-fabric burst, the memory target asserted")
)

// binPath is the hnp-gitops binary TestMain built.
var binPath string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "hnp-gitops-soak-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		binPath = filepath.Join(dir, "hnp-gitops")
		// Always build from this checkout: a stale bin/hnp-gitops would
		// test yesterday's service.
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/hnp-gitops")
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "soak: go build ./cmd/hnp-gitops: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

func fabricsWanted() int {
	switch {
	case *flagFabrics > 0:
		return *flagFabrics
	case *flagLong:
		return 300
	}
	return 40
}

func burstFabrics() int {
	if *flagLong {
		return 500
	}
	return 100
}
