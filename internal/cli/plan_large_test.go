package cli

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/localdir"
)

// TestPlanOversizedIsNeverRead: a 32 MiB file in raw/ is hashed as a stream,
// never read into memory, and --apply moves it to unmanaged/ (renamed; with
// rename_with_extension also copied to raw/<name>.archived) byte for byte.
// Not parallel: it measures the bytes the process allocates.
func TestPlanOversizedIsNeverRead(t *testing.T) {
	const size = 32 << 20
	for _, tc := range []struct {
		strategy string
		want     []string // paths holding the big file after --apply
	}{
		{"delete", []string{"unmanaged/dump/big.yaml"}},
		{"rename_with_extension", []string{"raw/dump/big.yaml.archived", "unmanaged/dump/big.yaml"}},
	} {
		t.Run(tc.strategy, func(t *testing.T) {
			dir := planDir(t)
			big := filepath.Join(dir, "raw", "dump", "big.yaml")
			sha := writeBig(t, big, size)

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			code, stdout, stderr := runPlanCLI(t, nil, "plan", "--dir", dir, "--fabric-name", "fabric-1",
				"--archive-strategy", tc.strategy, "--apply")
			runtime.ReadMemStats(&after)
			if code != ExitOK {
				t.Fatalf("plan --apply: exit %d: %s%s", code, stdout, stderr)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("plan --apply with a %d MiB file in raw/: %.1f MiB allocated", size>>20, float64(alloc)/(1<<20))
			if alloc > size/2 {
				t.Errorf("plan allocated %.1f MiB, over half the %d MiB file: it was read into memory", float64(alloc)/(1<<20), size>>20)
			}
			if !strings.Contains(stdout, "moved whole without reading") {
				t.Errorf("the plan does not say why raw/dump/big.yaml moved whole:\n%s", stdout)
			}
			if _, err := os.Lstat(big); !os.IsNotExist(err) {
				t.Errorf("raw/dump/big.yaml is still there (err %v)", err)
			}
			root, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			for _, p := range tc.want {
				fi, err := root.Stat(p)
				if err != nil {
					t.Errorf("%s: %v", p, err)
					continue
				}
				if got, err := localdir.HashFile(root, p, fi.Size()); err != nil || got != sha || fi.Mode().Perm() != 0o644 {
					t.Errorf("%s: blob %s (err %v), mode %v; want %s, 0644", p, got, err, fi.Mode().Perm(), sha)
				}
			}
			code, stdout, _ = runPlanCLI(t, nil, "plan", "--dir", dir, "--fabric-name", "fabric-1",
				"--archive-strategy", tc.strategy, "--output", "json")
			if p := planJSONOf(t, stdout); code != ExitOK || len(p.Changes) != 0 {
				t.Errorf("plan after --apply: exit %d, %d changes", code, len(p.Changes))
			}
		})
	}
}

// writeBig writes size bytes of YAML comment lines to p, a buffer at a
// time, and returns their git blob id.
func writeBig(t *testing.T, p string, size int) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755) // executable: --apply writes 0644
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	line := "# a line of a dump far over the engine's 1 MiB file limit ...\n"
	for n := 0; n < size; n += len(line) {
		if rest := size - n; rest < len(line) {
			line = line[:rest]
		}
		if _, err := w.WriteString(line); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	sha, err := localdir.HashFile(root, filepath.Base(p), int64(size))
	if err != nil {
		t.Fatal(err)
	}
	return sha
}
