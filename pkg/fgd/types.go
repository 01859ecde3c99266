package fgd

import (
	"crypto/sha1" //nolint:gosec // git object ids are SHA-1 by definition
	"encoding/hex"
	"strconv"
)

// EntryType is the git object type of a path in the FGD.
type EntryType string

// The entry types the engine distinguishes. Only regular files are ever read;
// symlinks and submodules are never followed, read or written.
const (
	TypeFile       EntryType = "file"       // mode 100644
	TypeExecutable EntryType = "executable" // mode 100755
	TypeSymlink    EntryType = "symlink"    // mode 120000
	TypeSubmodule  EntryType = "submodule"  // mode 160000
)

// Entry is one path of the FGD at the branch head. Path is relative to the FGD
// root, slash-separated, without a leading slash.
type Entry struct {
	Path string    `json:"path"`
	Type EntryType `json:"type"`
	Size int64     `json:"size"`
	// SHA is the git blob id (lower-case hex SHA-1) of the content. The
	// engine compares it with BlobSHA of what it wants to write, so it never
	// needs the content of a file it does not ingest.
	SHA string `json:"sha"`
}

// Snapshot is everything the engine reads: the listing of the FGD and the
// content of the paths that Wanted(listing) (or WantedWith with the same
// limits as Compute's Settings) named. A path Wanted named but missing from
// Contents is an error of the caller, not of the repository. A file whose
// Entry.Size is over the limit is never read: its content may be absent.
type Snapshot struct {
	Entries  []Entry
	Contents map[string][]byte
}

// Op is what a Change does to a path.
type Op string

// The operations of a change set.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Change is one path to write or remove. Path is relative to the FGD root;
// Content is nil for OpDelete.
//
// A write with SHA set is a write by reference: Content is nil and the path
// gets the blob SHA that the listing already holds at From (a source file
// over Limits.MaxFileBytes, moved whole without being read). A port points
// the new tree entry at that blob; a local apply copies or renames the file
// at From. From is relative to the FGD root, as Path is when Compute returns
// it (a caller that prefixes Path with the FGD's directory leaves From as
// it is).
type Change struct {
	Path    string `json:"path"`
	Op      Op     `json:"op"`
	Content []byte `json:"-"`
	SHA     string `json:"sha,omitempty"`
	From    string `json:"from,omitempty"`
}

// BlobSHA returns the git blob id of content: sha1("blob <len>\x00" + content).
func BlobSHA(content []byte) string {
	h := sha1.New() //nolint:gosec // git object ids are SHA-1 by definition
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}
