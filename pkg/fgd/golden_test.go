package fgd

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden want/ directories and result.json files")

// caseSettings is testdata/<case>/settings.json; missing fields take the
// defaults of defaultSettings.
type caseSettings struct {
	FabricID        *int64  `json:"fabric_id"`
	FabricName      *string `json:"fabric_name"`
	ArchiveStrategy string  `json:"archive_strategy"`
	RepoDir         *string `json:"repo_dir"`
	MaxFileBytes    int64   `json:"max_file_bytes"`
}

func defaultSettings() Settings {
	return Settings{
		FabricID: 1, FabricName: "fabric-1", ArchiveStrategy: ArchiveDelete,
		RepoDir: "gitops/hedgehog/fabric-1", ParentCommit: strings.Repeat("1", 40),
	}
}

func loadSettings(t *testing.T, dir string) Settings {
	t.Helper()
	st := defaultSettings()
	b, err := os.ReadFile(filepath.Join(dir, "settings.json"))
	if os.IsNotExist(err) {
		return st
	}
	if err != nil {
		t.Fatal(err)
	}
	var cs caseSettings
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatalf("settings.json: %v", err)
	}
	if cs.FabricID != nil {
		st.FabricID = *cs.FabricID
	}
	if cs.FabricName != nil {
		st.FabricName = *cs.FabricName
	}
	if cs.RepoDir != nil {
		st.RepoDir = *cs.RepoDir
	}
	st.Limits.MaxFileBytes = cs.MaxFileBytes
	if cs.ArchiveStrategy != "" {
		st.ArchiveStrategy = ArchiveStrategy(cs.ArchiveStrategy)
	}
	return st
}

// goldenResult is what result.json records besides the tree.
type goldenResult struct {
	Summary     string         `json:"summary"`
	Initialized bool           `json:"initialized"`
	Counts      map[string]int `json:"counts"`
	Changes     []Change       `json:"changes"`
	Documents   []Document     `json:"documents"`
	Sources     []SourceFile   `json:"sources"`
	Conflicts   []Conflict     `json:"conflicts"`
}

func TestGolden(t *testing.T) {
	t.Parallel()
	cases, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cases {
		if !c.IsDir() || c.Name() == "fuzz" {
			continue
		}
		n++
		dir := filepath.Join("testdata", c.Name())
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			in := readTree(t, filepath.Join(dir, "in"))
			st := loadSettings(t, dir)
			res, err := Compute(in.snapshotWith(t, st.Limits), st)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			got := in.apply(t, res.Changes)
			gr := goldenResult{Summary: res.Summary, Initialized: res.Initialized, Counts: res.Counts(),
				Changes: res.Changes, Documents: res.Documents, Sources: res.Sources, Conflicts: res.Conflicts}
			gotJSON, err := json.MarshalIndent(gr, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			gotJSON = append(gotJSON, '\n')
			if *update {
				writeTree(t, filepath.Join(dir, "want"), got)
				if err := os.WriteFile(filepath.Join(dir, "result.json"), gotJSON, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := readTree(t, filepath.Join(dir, "want"))
			if d := cmp.Diff(stringTree(want), stringTree(got)); d != "" {
				t.Errorf("tree after apply (-want +got):\n%s", d)
			}
			wantJSON, err := os.ReadFile(filepath.Join(dir, "result.json"))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(wantJSON), string(gotJSON)); d != "" {
				t.Errorf("result.json (-want +got):\n%s", d)
			}
			assertInvariants(t, in, st, res)

			// Idempotence: the applied tree is a fixed point.
			st.ParentCommit = strings.Repeat("2", 40)
			again, err := Compute(got.snapshotWith(t, st.Limits), st)
			if err != nil {
				t.Fatalf("second Compute: %v", err)
			}
			if len(again.Changes) != 0 {
				paths := make([]string, 0, len(again.Changes))
				for _, ch := range again.Changes {
					paths = append(paths, string(ch.Op)+" "+ch.Path)
				}
				t.Errorf("second run is not a no-op: %v", paths)
			}
		})
	}
	if n < 15 {
		t.Fatalf("found only %d golden cases in testdata", n)
	}
}

func stringTree(tr tree) map[string]string {
	m := make(map[string]string, len(tr))
	for p, c := range tr {
		m[p] = string(c)
	}
	return m
}
