package fgd

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// tree is an in-memory FGD: path -> content. Symlinks are not modelled here.
type tree map[string][]byte

// snapshot lists the tree and reads what Wanted names, as an adapter would.
func (tr tree) snapshot(t testing.TB) Snapshot {
	t.Helper()
	return tr.snapshotWith(t, Limits{})
}

// snapshotWith reads what WantedWith(lim) names: files over the limit are
// listed but their content is not in the snapshot.
func (tr tree) snapshotWith(t testing.TB, lim Limits) Snapshot {
	t.Helper()
	var s Snapshot
	for _, p := range slices.Sorted(maps.Keys(tr)) {
		s.Entries = append(s.Entries, Entry{Path: p, Type: TypeFile, Size: int64(len(tr[p])), SHA: BlobSHA(tr[p])})
	}
	s.Contents = map[string][]byte{}
	for _, p := range WantedWith(s.Entries, lim) {
		c, ok := tr[p]
		if !ok {
			t.Fatalf("Wanted named %q, which is not in the listing", p)
		}
		s.Contents[p] = c
	}
	return s
}

// apply returns a copy of the tree with the changes applied, failing on a
// change that does not match the tree (create of an existing path, ...). A
// write by reference takes the bytes at From in the tree before the change
// set, which must be the blob SHA.
func (tr tree) apply(t testing.TB, changes []Change) tree {
	t.Helper()
	out := maps.Clone(tr)
	for _, ch := range changes {
		_, exists := out[ch.Path]
		if ch.SHA != "" && ch.Op != OpDelete {
			src, ok := tr[ch.From]
			if !ok || ch.Content != nil || BlobSHA(src) != ch.SHA {
				t.Fatalf("%s %q by reference to %q (%s): not that blob in the tree, or content given", ch.Op, ch.Path, ch.From, ch.SHA)
			}
			ch.Content = src
		}
		switch ch.Op {
		case OpCreate:
			if exists {
				t.Fatalf("create of existing %q", ch.Path)
			}
			out[ch.Path] = ch.Content
		case OpUpdate:
			if !exists {
				t.Fatalf("update of missing %q", ch.Path)
			}
			out[ch.Path] = ch.Content
		case OpDelete:
			if !exists {
				t.Fatalf("delete of missing %q", ch.Path)
			}
			delete(out, ch.Path)
		default:
			t.Fatalf("unknown op %q", ch.Op)
		}
	}
	return out
}

func readTree(t testing.TB, dir string) tree {
	t.Helper()
	tr := tree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		tr[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return tr
}

func writeTree(t testing.TB, dir string, tr tree) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for p, c := range tr {
		fp := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fp, c, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
