package fgd

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/githedgehog/hnp-gitops/pkg/crdschema"
)

const brokenMark = "<broken file>"

// genDoc is one generated source document and what it must become.
type genDoc struct {
	text    string
	managed bool // a valid managed CR
	empty   bool // comment-only: dropped
}

func genDocument(r *rand.Rand) genDoc {
	kinds := [][2]string{
		{"wiring.githedgehog.com/v1beta1", "Switch"}, {"wiring.githedgehog.com/v1beta1", "Connection"},
		{"vpc.githedgehog.com/v1beta1", "VPC"}, {"vpc.githedgehog.com/v1alpha2", "External"},
	}
	names := []string{"a", "b", "leaf-01", "x.y"}
	switch r.IntN(8) {
	case 0:
		return genDoc{text: fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\ndata: {k: %q}\n", r.IntN(5), "v")}
	case 1:
		return genDoc{text: "# just a comment\n", empty: true}
	case 2:
		k := kinds[r.IntN(len(kinds))]
		bad := []string{"Bad_Name", "../../x", "-x", strings.Repeat("a", 254)}[r.IntN(4)]
		return genDoc{text: fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: %q\n", k[0], k[1], bad)}
	case 3:
		k := kinds[r.IntN(len(kinds))]
		return genDoc{text: fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata: {name: %s, namespace: other}\n", k[0], k[1], names[r.IntN(len(names))])}
	default:
		k := kinds[r.IntN(len(kinds))]
		return genDoc{managed: true, text: fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  uid: u-%d\nspec:\n  v: %d\nstatus: {x: 1}\n",
			k[0], k[1], names[r.IntN(len(names))], r.IntN(100), r.IntN(2))}
	}
}

func genTree(r *rand.Rand) (tree, map[string][]genDoc) {
	tr := tree{}
	docs := map[string][]genDoc{}
	for i, n := 0, r.IntN(6); i < n; i++ {
		var p string
		switch r.IntN(4) {
		case 0:
			p = fmt.Sprintf("f%d.yaml", i) // root
		case 1:
			p = fmt.Sprintf("raw/sub%d/f%d.yml", r.IntN(2), i)
		default:
			p = fmt.Sprintf("raw/f%d.yaml", i)
		}
		if r.IntN(10) == 0 {
			tr[p] = []byte("a: [unclosed\n")
			docs[p] = []genDoc{{text: brokenMark}}
			continue
		}
		var b strings.Builder
		var ds []genDoc
		for j, m := 0, r.IntN(5); j < m; j++ {
			d := genDocument(r)
			if j > 0 || r.IntN(2) == 0 {
				b.WriteString("---\n")
			}
			b.WriteString(d.text)
			ds = append(ds, d)
		}
		tr[p] = []byte(b.String())
		docs[p] = ds
	}
	if r.IntN(3) == 0 {
		tr["managed/switches/a.yaml"] = []byte("old: content\n")
	}
	if r.IntN(3) == 0 {
		tr["unmanaged/f1.yaml"] = []byte("taken\n")
	}
	if r.IntN(4) == 0 {
		tr["docs/other.yaml"] = []byte("apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata: {name: z}\n")
	}
	return tr, docs
}

// TestProperties runs the engine on generated FGDs and checks what must
// hold for every input.
func TestProperties(t *testing.T) {
	t.Parallel()
	bigSeen := map[bool]int{} // oversized files seen, by root
	for seed := uint64(1); seed <= 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 42))
		in, docs := genTree(r)
		st := defaultSettings()
		if r.IntN(2) == 0 {
			st.ArchiveStrategy = ArchiveRename
		}
		if r.IntN(3) == 0 {
			// Some files are over the limit: listed, never read.
			st.Limits.MaxFileBytes = int64(50 + r.IntN(200))
		}
		if r.IntN(2) == 0 {
			// Half the runs check CRs against the built-in schemas (the
			// generated spec fails them; v1alpha2 has no schema).
			st.Schemas = builtinSchemas(t)
		}
		res, err := Compute(in.snapshotWith(t, st.Limits), st)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		assertInvariants(t, in, st, res)
		out := in.apply(t, res.Changes)

		bySource := map[string][]Document{}
		for _, d := range res.Documents {
			p, _ := splitSource(d.Source)
			bySource[p] = append(bySource[p], d)
		}
		for p, ds := range docs {
			got := bySource[p]
			root := !strings.HasPrefix(p, "raw/")
			nonEmpty, managed := 0, 0
			for _, d := range ds {
				if !d.empty {
					nonEmpty++
				}
				if d.managed {
					managed++
				}
			}
			broken := len(ds) == 1 && ds[0].text == brokenMark
			big := st.Limits.MaxFileBytes > 0 && int64(len(in[p])) > st.Limits.MaxFileBytes
			if big {
				bigSeen[root]++
			}
			switch {
			case big && root: // left in place, reported
				if len(got) != 1 || got[0].Placement != PlacementKept || !strings.Contains(got[0].Reason, "over the limit") ||
					string(out[p]) != string(in[p]) {
					t.Errorf("seed %d: oversized root file %s: %+v", seed, p, got)
				}
			case big: // moved whole by blob id, byte for byte
				if len(got) != 1 || got[0].Placement != PlacementUnmanaged || !strings.Contains(got[0].Reason, "without reading") ||
					string(out[got[0].Destination]) != string(in[p]) {
					t.Errorf("seed %d: oversized %s: %+v", seed, p, got)
				}
			case broken && root: // unparseable root file: reported, left
				if len(got) != 1 || got[0].Placement != PlacementKept {
					t.Errorf("seed %d: %s: %+v", seed, p, got)
				}
			case broken:
				if len(got) != 1 || got[0].Placement != PlacementUnmanaged {
					t.Errorf("seed %d: %s: %+v", seed, p, got)
				}
			case root && managed == 0:
				if len(got) != 0 {
					t.Errorf("seed %d: root file without managed CRs reported: %+v", seed, got)
				}
				if string(out[p]) != string(in[p]) {
					t.Errorf("seed %d: root file %s changed", seed, p)
				}
			default:
				if len(got) != nonEmpty {
					t.Errorf("seed %d: %s: %d documents reported, %d in the file", seed, p, len(got), nonEmpty)
				}
				for _, d := range got {
					if d.Placement == PlacementManaged && !managedFileIs(out[d.Destination], d.Kind, d.Name) {
						t.Errorf("seed %d: %s: %s is not %s %s:\n%s", seed, d.Source, d.Destination, d.Kind, d.Name, out[d.Destination])
					}
				}
			}
		}
		if out["docs/other.yaml"] != nil && string(out["docs/other.yaml"]) != string(in["docs/other.yaml"]) {
			t.Errorf("seed %d: a file outside the layout changed", seed)
		}
		st.ParentCommit = "next"
		again, err := Compute(out.snapshotWith(t, st.Limits), st)
		if err != nil {
			t.Fatalf("seed %d: second run: %v", seed, err)
		}
		if len(again.Changes) != 0 {
			t.Errorf("seed %d: second run changed %d paths, first %s %s", seed, len(again.Changes), again.Changes[0].Op, again.Changes[0].Path)
		}
	}
	if bigSeen[true] == 0 || bigSeen[false] == 0 {
		t.Errorf("oversized files generated: %d in the root, %d in raw/; want some of each", bigSeen[true], bigSeen[false])
	}
	t.Logf("oversized files: %d in the root, %d in raw/", bigSeen[true], bigSeen[false])
}

func managedFileIs(b []byte, kind, name string) bool {
	var v struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name      string            `yaml:"name"`
			Namespace string            `yaml:"namespace"`
			UID       string            `yaml:"uid"`
			Ann       map[string]string `yaml:"annotations"`
		} `yaml:"metadata"`
		Status any `yaml:"status"`
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		return false
	}
	return v.Kind == kind && v.Metadata.Name == name && v.Metadata.Namespace == "default" && v.Metadata.UID == "" &&
		v.Status == nil && v.Metadata.Ann[AnnotationManagedBy] == ManagedByValue
}

var builtinSchemas = func() func(t *testing.T) SchemaChecker {
	var once sync.Once
	var set *crdschema.Set
	var err error
	return func(t *testing.T) SchemaChecker {
		once.Do(func() { set, err = crdschema.Builtin() })
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
}()
