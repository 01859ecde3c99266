package gitremote

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// headTree is what Apply knows of the head tree: the entries under the FGDs
// by repository path, per FGD (relative paths).
type headTree struct {
	index map[string]fgd.Entry
	dirs  map[string][]fgd.Entry
}

// readTree lists the FGDs dirs of the tree root (nil: an empty repository).
func readTree(sto storer.EncodedObjectStorer, root *object.Tree, dirs []string) (*headTree, error) {
	ht := &headTree{index: map[string]fgd.Entry{}, dirs: map[string][]fgd.Entry{}}
	if root == nil {
		return ht, nil
	}
	for _, d := range dirs {
		sub, err := subtree(sto, root, d)
		if err != nil {
			return nil, err
		}
		if sub == nil {
			continue // the FGD does not exist yet
		}
		var es []fgd.Entry
		if err := list(sto, sub, "", &es); err != nil {
			return nil, err
		}
		sort.Slice(es, func(i, j int) bool { return es[i].Path < es[j].Path })
		ht.dirs[d] = es
		for _, e := range es {
			e.Path = prefixOf(d) + e.Path
			ht.index[e.Path] = e
		}
	}
	return ht, nil
}

func prefixOf(dir string) string {
	if dir == "" {
		return ""
	}
	return dir + "/"
}

// subtree returns the tree at dir, nil when there is none.
func subtree(sto storer.EncodedObjectStorer, root *object.Tree, dir string) (*object.Tree, error) {
	t := root
	if dir == "" {
		return t, nil
	}
	for _, seg := range strings.Split(dir, "/") {
		var next *object.Tree
		for _, e := range t.Entries {
			if e.Name == seg && e.Mode == filemode.Dir {
				sub, err := object.GetTree(sto, e.Hash)
				if err != nil {
					return nil, fmt.Errorf("read tree %s: %w", e.Hash, err)
				}
				next = sub
			}
		}
		if next == nil {
			return nil, nil
		}
		t = next
	}
	return t, nil
}

// list appends every non-tree entry under t, paths prefixed.
func list(sto storer.EncodedObjectStorer, t *object.Tree, prefix string, out *[]fgd.Entry) error {
	for _, e := range t.Entries {
		p := prefix + e.Name
		var typ fgd.EntryType
		switch e.Mode {
		case filemode.Dir:
			sub, err := object.GetTree(sto, e.Hash)
			if err != nil {
				return fmt.Errorf("read tree %s: %w", e.Hash, err)
			}
			if err := list(sto, sub, p+"/", out); err != nil {
				return err
			}
			continue
		case filemode.Regular, filemode.Deprecated:
			typ = fgd.TypeFile
		case filemode.Executable:
			typ = fgd.TypeExecutable
		case filemode.Symlink:
			typ = fgd.TypeSymlink
		case filemode.Submodule:
			*out = append(*out, fgd.Entry{Path: p, Type: fgd.TypeSubmodule, SHA: e.Hash.String()})
			continue
		default:
			continue
		}
		obj, err := sto.EncodedObject(plumbing.BlobObject, e.Hash)
		if err != nil {
			return fmt.Errorf("read blob %s of %s: %w", e.Hash, p, err)
		}
		*out = append(*out, fgd.Entry{Path: p, Type: typ, Size: obj.Size(), SHA: e.Hash.String()})
	}
	return nil
}

// snapshots gives each FGD its listing and the content of the paths wanted
// names (regular files only: symlinks and submodules are never read).
func snapshots(sto storer.EncodedObjectStorer, ht *headTree, dirs []string, wanted func([]fgd.Entry) []string) (map[string]fgd.Snapshot, error) {
	return gitport.Snapshots(dirs, ht.dirs, wanted, func(d string, e fgd.Entry) ([]byte, error) {
		b, err := readBlob(sto, plumbing.NewHash(e.SHA))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", prefixOf(d)+e.Path, err)
		}
		return b, nil
	})
}

func readBlob(sto storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	obj, err := sto.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, err
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return b, err
}

// change is one effective change: a path (relative to the tree being
// rewritten) to write with a blob, or to delete.
type change struct {
	path string
	del  bool
	blob plumbing.Hash
	data []byte
	ref  bool // blob is already in the fetched head; data is nil
}

// effective is the plan's effective changes (gitport.EffectiveChanges)
// as blobs to write or paths to delete. A blob written by reference is
// checked against the fetched head when the tree is rewritten.
func (ht *headTree) effective(in []fgd.Change, dirs []string) ([]change, error) {
	eff, err := gitport.EffectiveChanges(in, dirs, ht.index, plumbing.IsHash)
	if err != nil {
		return nil, err
	}
	out := make([]change, 0, len(eff))
	for _, e := range eff {
		if e.Delete {
			out = append(out, change{path: e.Path, del: true})
			continue
		}
		out = append(out, change{path: e.Path, blob: plumbing.NewHash(e.SHA), data: e.Content, ref: e.Ref})
	}
	return out, nil
}

// objectWriter writes new objects into the in-memory storage and remembers
// the ones the fetched head did not have: those are what the push sends.
type objectWriter struct {
	sto storer.EncodedObjectStorer
	new []plumbing.Hash
}

type encoder interface {
	Encode(plumbing.EncodedObject) error
}

func (w *objectWriter) write(typ plumbing.ObjectType, enc func(plumbing.EncodedObject) error) (plumbing.Hash, error) {
	obj := w.sto.NewEncodedObject()
	obj.SetType(typ)
	if err := enc(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	h := obj.Hash()
	if err := w.sto.HasEncodedObject(h); err == nil {
		return h, nil
	} else if !errors.Is(err, plumbing.ErrObjectNotFound) {
		return plumbing.ZeroHash, err
	}
	if _, err := w.sto.SetEncodedObject(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	w.new = append(w.new, h)
	return h, nil
}

func (w *objectWriter) blob(data []byte) (plumbing.Hash, error) {
	return w.write(plumbing.BlobObject, func(o plumbing.EncodedObject) error {
		wr, err := o.Writer()
		if err != nil {
			return err
		}
		if _, err := wr.Write(data); err != nil {
			return err
		}
		return wr.Close()
	})
}

func (w *objectWriter) object(typ plumbing.ObjectType, e encoder) (plumbing.Hash, error) {
	return w.write(typ, e.Encode)
}

// rewrite applies changes (paths relative to the tree) to the tree base
// (zero: none) and returns the new tree, or zero when it ends up empty (git
// does not keep empty directories). Subtrees without changes keep their
// hashes and are not read.
func (w *objectWriter) rewrite(base plumbing.Hash, changes []change) (plumbing.Hash, error) {
	entries := map[string]object.TreeEntry{}
	if !base.IsZero() {
		t, err := object.GetTree(w.sto, base)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tree %s: %w", base, err)
		}
		for _, e := range t.Entries {
			entries[e.Name] = e
		}
	}
	sub := map[string][]change{}
	var subNames []string
	for _, c := range changes {
		name, rest, deep := strings.Cut(c.path, "/")
		if deep {
			if _, seen := sub[name]; !seen {
				subNames = append(subNames, name)
			}
			c.path = rest
			sub[name] = append(sub[name], c)
			continue
		}
		if c.del {
			delete(entries, name)
			continue
		}
		if c.ref {
			if err := w.sto.HasEncodedObject(c.blob); err != nil {
				return plumbing.ZeroHash, fmt.Errorf("blob %s for %s is not in the fetched head: %w", c.blob, c.path, err)
			}
			entries[name] = object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: c.blob}
			continue
		}
		h, err := w.blob(c.data)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write blob: %w", err)
		}
		if h != c.blob {
			return plumbing.ZeroHash, fmt.Errorf("blob of %s is %s, want %s", c.path, h, c.blob)
		}
		entries[name] = object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h}
	}
	for _, name := range subNames {
		var subBase plumbing.Hash
		if e, ok := entries[name]; ok && e.Mode == filemode.Dir {
			subBase = e.Hash
		}
		h, err := w.rewrite(subBase, sub[name])
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if h.IsZero() {
			delete(entries, name)
		} else {
			entries[name] = object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h}
		}
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash, nil
	}
	return w.tree(entries)
}

// tree writes a tree object with entries in git's order (a directory sorts
// as if its name ended with "/").
func (w *objectWriter) tree(entries map[string]object.TreeEntry) (plumbing.Hash, error) {
	t := &object.Tree{Entries: make([]object.TreeEntry, 0, len(entries))}
	for _, e := range entries {
		t.Entries = append(t.Entries, e)
	}
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(t.Entries, func(i, j int) bool { return key(t.Entries[i]) < key(t.Entries[j]) })
	return w.object(plumbing.TreeObject, t)
}
