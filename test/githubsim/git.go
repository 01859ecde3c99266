package githubsim

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// errNoObject is a missing or wrongly typed object.
var errNoObject = errors.New("object does not exist")

// gitRepo wraps one bare repository. Callers hold the repository's lock.
type gitRepo struct {
	r  *git.Repository
	st storer.Storer
	// moved, when set, hears of every ref move (the push webhook). It runs
	// with the repository's lock held.
	moved func(name plumbing.ReferenceName, before, after plumbing.Hash)
}

func (g *gitRepo) writeObject(t plumbing.ObjectType, b []byte) (plumbing.Hash, error) {
	obj := g.st.NewEncodedObject()
	obj.SetType(t)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(b); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return g.st.SetEncodedObject(obj)
}

func (g *gitRepo) writeBlob(b []byte) (plumbing.Hash, error) {
	return g.writeObject(plumbing.BlobObject, b)
}

func (g *gitRepo) blob(h plumbing.Hash) ([]byte, error) {
	b, err := object.GetBlob(g.st, h)
	if err != nil {
		return nil, errNoObject
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

func (g *gitRepo) commit(h plumbing.Hash) (*object.Commit, error) {
	c, err := object.GetCommit(g.st, h)
	if err != nil {
		return nil, errNoObject
	}
	return c, nil
}

func (g *gitRepo) tree(h plumbing.Hash) (*object.Tree, error) {
	t, err := object.GetTree(g.st, h)
	if err != nil {
		return nil, errNoObject
	}
	return t, nil
}

// gitNameLess orders tree entries as git does: a directory sorts as if its
// name ended with a slash.
func gitNameLess(a, b object.TreeEntry) bool {
	an, bn := a.Name, b.Name
	if a.Mode == filemode.Dir {
		an += "/"
	}
	if b.Mode == filemode.Dir {
		bn += "/"
	}
	return an < bn
}

func (g *gitRepo) writeTree(entries map[string]object.TreeEntry) (plumbing.Hash, error) {
	t := &object.Tree{}
	for _, e := range entries {
		t.Entries = append(t.Entries, e)
	}
	sort.Slice(t.Entries, func(i, j int) bool { return gitNameLess(t.Entries[i], t.Entries[j]) })
	obj := g.st.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return g.st.SetEncodedObject(obj)
}

// treeChange puts (hash set) or deletes (del) a path of a tree.
type treeChange struct {
	path string
	mode filemode.FileMode
	hash plumbing.Hash
	del  bool
}

// errBadPath is a change GitHub would refuse with 422.
type errBadPath struct{ msg string }

func (e *errBadPath) Error() string { return e.msg }

// buildTree applies changes to base (ZeroHash: an empty tree) and writes the
// resulting trees. It reports empty when nothing is left (no tree written).
func (g *gitRepo) buildTree(base plumbing.Hash, changes []treeChange) (h plumbing.Hash, empty bool, err error) {
	entries := map[string]object.TreeEntry{}
	if !base.IsZero() {
		t, err := g.tree(base)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		for _, e := range t.Entries {
			entries[e.Name] = e
		}
	}
	nested := map[string][]treeChange{}
	var order []string
	for _, c := range changes {
		first, rest, deep := strings.Cut(c.path, "/")
		if first == "" || first == "." || first == ".." || strings.EqualFold(first, ".git") {
			return plumbing.ZeroHash, false, &errBadPath{fmt.Sprintf("tree.path contains a malformed path component: %q", c.path)}
		}
		if deep {
			if _, ok := nested[first]; !ok {
				order = append(order, first)
			}
			c.path = rest
			nested[first] = append(nested[first], c)
			continue
		}
		if c.del {
			if _, ok := entries[first]; !ok {
				return plumbing.ZeroHash, false, &errBadPath{"GitRPC::BadObjectState"}
			}
			delete(entries, first)
			continue
		}
		entries[first] = object.TreeEntry{Name: first, Mode: c.mode, Hash: c.hash}
	}
	for _, name := range order {
		sub := plumbing.ZeroHash
		if e, ok := entries[name]; ok && e.Mode == filemode.Dir {
			sub = e.Hash
		}
		if sub.IsZero() {
			for _, c := range nested[name] {
				if c.del {
					return plumbing.ZeroHash, false, &errBadPath{"GitRPC::BadObjectState"}
				}
			}
		}
		h, empty, err := g.buildTree(sub, nested[name])
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if empty {
			delete(entries, name)
		} else {
			entries[name] = object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h}
		}
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash, true, nil
	}
	h, err = g.writeTree(entries)
	return h, false, err
}

// emptyTree writes (idempotently) the empty tree.
func (g *gitRepo) emptyTree() (plumbing.Hash, error) {
	return g.writeTree(map[string]object.TreeEntry{})
}

func (g *gitRepo) writeCommit(tree plumbing.Hash, parents []plumbing.Hash, msg string, author, committer object.Signature) (plumbing.Hash, error) {
	c := &object.Commit{Author: author, Committer: committer, Message: msg, TreeHash: tree, ParentHashes: parents}
	obj := g.st.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return g.st.SetEncodedObject(obj)
}

// branch returns the head of a branch, ZeroHash when it does not exist.
func (g *gitRepo) ref(name plumbing.ReferenceName) (plumbing.Hash, error) {
	r, err := g.st.Reference(name)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return r.Hash(), nil
}

func (g *gitRepo) setRef(name plumbing.ReferenceName, h plumbing.Hash) error {
	before := plumbing.ZeroHash
	if g.moved != nil {
		before, _ = g.ref(name)
	}
	if err := g.st.SetReference(plumbing.NewHashReference(name, h)); err != nil {
		return err
	}
	if g.moved != nil && before != h {
		g.moved(name, before, h)
	}
	return nil
}

// isEmpty reports whether the repository has no branch at all.
func (g *gitRepo) isEmpty() (bool, error) {
	it, err := g.st.IterReferences()
	if err != nil {
		return false, err
	}
	defer it.Close()
	empty := true
	err = it.ForEach(func(r *plumbing.Reference) error {
		if r.Type() == plumbing.HashReference && r.Name().IsBranch() {
			empty = false
			return storer.ErrStop
		}
		return nil
	})
	return empty, err
}

// flatEntry is one entry of a recursive listing.
type flatEntry struct {
	path string
	mode filemode.FileMode
	hash plumbing.Hash
	size int64
}

// walk lists a tree depth-first in git order, trees before their content,
// like GitHub's recursive listing.
func (g *gitRepo) walk(h plumbing.Hash, prefix string, recursive bool, out *[]flatEntry) error {
	t, err := g.tree(h)
	if err != nil {
		return err
	}
	for _, e := range t.Entries {
		fe := flatEntry{path: prefix + e.Name, mode: e.Mode, hash: e.Hash}
		if e.Mode.IsFile() {
			if sz, err := g.st.EncodedObjectSize(e.Hash); err == nil {
				fe.size = sz
			}
		}
		*out = append(*out, fe)
		if recursive && e.Mode == filemode.Dir {
			if err := g.walk(e.Hash, fe.path+"/", true, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// files maps every blob path of a tree to its hash.
func (g *gitRepo) files(tree plumbing.Hash) (map[string]plumbing.Hash, error) {
	var all []flatEntry
	if err := g.walk(tree, "", true, &all); err != nil {
		return nil, err
	}
	out := map[string]plumbing.Hash{}
	for _, e := range all {
		if e.mode != filemode.Dir {
			out[e.path] = e.hash
		}
	}
	return out, nil
}

func signature(name, email string, when time.Time) object.Signature {
	return object.Signature{Name: name, Email: email, When: when}
}

func modeString(m filemode.FileMode) string { return fmt.Sprintf("%06o", uint32(m)) }

func typeOf(m filemode.FileMode) string {
	switch m {
	case filemode.Dir:
		return "tree"
	case filemode.Submodule:
		return "commit"
	}
	return "blob"
}
