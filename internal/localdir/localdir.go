// Package localdir is the local-disk adapter of `hnp-gitops plan --dir`:
// it reads a fabric GitOps directory from a folder as a git tree would show
// it (blob ids hashed as streams, .git skipped, symlinks never followed)
// and writes a plan's changes into it through an os.Root, which refuses
// any path that would leave the folder.
package localdir

import (
	"crypto/sha1" //nolint:gosec // git object ids are SHA-1 by definition
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// RepoPath returns dir's path relative to the root of the git work tree
// that holds it, or "" when there is none.
func RepoPath(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := abs; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			rel, err := filepath.Rel(d, abs)
			if err != nil || rel == "." {
				return ""
			}
			return filepath.ToSlash(rel)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// Read lists the directory as a git tree would (skipping .git), with the
// blob SHA of every file (hashed as a stream), and reads into memory only the
// paths the engine wants: never a file over its size limit.
func Read(root *os.Root) (fgd.Snapshot, error) {
	var s fgd.Snapshot
	err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".git" {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		switch t := d.Type(); {
		case t&fs.ModeSymlink != 0:
			target, err := root.Readlink(p)
			if err != nil {
				return err
			}
			s.Entries = append(s.Entries, fgd.Entry{Path: p, Type: fgd.TypeSymlink, Size: int64(len(target)), SHA: fgd.BlobSHA([]byte(target))})
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			sha, err := HashFile(root, p, info.Size())
			if err != nil {
				return err
			}
			typ := fgd.TypeFile
			if info.Mode()&0o111 != 0 {
				typ = fgd.TypeExecutable
			}
			s.Entries = append(s.Entries, fgd.Entry{Path: p, Type: typ, Size: info.Size(), SHA: sha})
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	byPath := make(map[string]fgd.Entry, len(s.Entries))
	for _, e := range s.Entries {
		byPath[e.Path] = e
	}
	s.Contents = map[string][]byte{}
	for _, p := range fgd.Wanted(s.Entries) {
		b, err := root.ReadFile(filepath.FromSlash(p))
		if err != nil {
			return s, err
		}
		if fgd.BlobSHA(b) != byPath[p].SHA {
			return s, fmt.Errorf("%s: %w", p, errChangedWhileReading)
		}
		s.Contents[p] = b
	}
	return s, nil
}

// errChangedWhileReading: a file changed between its listing and its read.
var errChangedWhileReading = errors.New("changed while the directory was read")

// HashFile returns the git blob id of the file p of size bytes, reading it
// as a stream.
func HashFile(root *os.Root, p string, size int64) (string, error) {
	f, err := root.Open(filepath.FromSlash(p))
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha1.New() //nolint:gosec // git object ids are SHA-1 by definition
	fmt.Fprintf(h, "blob %d\x00", size)
	n, err := io.Copy(h, f)
	if err != nil {
		return "", err
	}
	if n != size {
		return "", fmt.Errorf("%s: %w", p, errChangedWhileReading)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Apply writes the change set through root, which refuses any path
// that would leave the directory. A symlink in the way of a write is
// replaced, never written through. Writes by reference (a file over the
// engine's size limit, never read into memory) go first, while their
// source is still in place: the last one of a source the change set
// deletes is a rename, the others stream a copy.
func Apply(root *os.Root, changes []fgd.Change) error {
	deleted := map[string]bool{}
	lastRef := map[string]int{}
	for i, ch := range changes {
		switch {
		case ch.Op == fgd.OpDelete:
			deleted[ch.Path] = true
		case ch.SHA != "":
			lastRef[ch.From] = i
		}
	}
	for i, ch := range changes {
		if ch.Op == fgd.OpDelete || ch.SHA == "" {
			continue
		}
		if err := prepareWrite(root, ch.Path); err != nil {
			return err
		}
		if err := copyBlob(root, ch, deleted[ch.From] && lastRef[ch.From] == i); err != nil {
			return fmt.Errorf("%s from %s: %w", ch.Path, ch.From, err)
		}
	}
	for _, ch := range changes {
		name := filepath.FromSlash(ch.Path)
		if ch.SHA != "" && ch.Op != fgd.OpDelete {
			continue // done above
		}
		switch ch.Op {
		case fgd.OpDelete:
			if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			for d := path.Dir(ch.Path); d != "."; d = path.Dir(d) {
				if root.Remove(filepath.FromSlash(d)) != nil {
					break // not empty: stop climbing
				}
			}
		case fgd.OpCreate, fgd.OpUpdate:
			if err := prepareWrite(root, ch.Path); err != nil {
				return err
			}
			if err := root.WriteFile(name, ch.Content, 0o644); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown change %q for %s", ch.Op, ch.Path)
		}
	}
	return nil
}

// prepareWrite creates the parent directories of p and removes a symlink
// at p, so that nothing is written through it.
func prepareWrite(root *os.Root, p string) error {
	if dir := path.Dir(p); dir != "." {
		if err := root.MkdirAll(filepath.FromSlash(dir), 0o755); err != nil {
			return err
		}
	}
	name := filepath.FromSlash(p)
	if fi, err := root.Lstat(name); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	return nil
}

// errNotThatBlob: the source of a write by reference no longer holds the
// blob the plan named.
var errNotThatBlob = errors.New("the source is not the planned blob any more")

// copyBlob writes ch.Path from the regular file ch.From, which must still
// hash to ch.SHA, by renaming it when rename is set and by a streamed copy
// otherwise; the content is never held in memory.
func copyBlob(root *os.Root, ch fgd.Change, rename bool) error {
	from := filepath.FromSlash(ch.From)
	fi, err := root.Lstat(from)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return errNotThatBlob
	}
	if sha, err := HashFile(root, ch.From, fi.Size()); err != nil || sha != ch.SHA {
		return errors.Join(errNotThatBlob, err)
	}
	to := filepath.FromSlash(ch.Path)
	if rename {
		if err := root.Rename(from, to); err != nil {
			return err
		}
		return root.Chmod(to, 0o644) // as the repository would have it
	}
	src, err := root.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := root.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		return err
	}
	return dst.Close()
}
