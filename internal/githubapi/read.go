package githubapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// headTree is what Apply knows of the head tree: the entries under the FGDs
// (by repository path), per FGD (relative paths), and the blob SHAs seen.
type headTree struct {
	index map[string]fgd.Entry
	dirs  map[string][]fgd.Entry
	shas  map[string]bool
}

// tree is a Git Data API tree as the port reads it. It is decoded here,
// not as go-github's Tree: that has a pointer per field and keeps each
// entry's url, and a recursive listing of a repository with a hundred FGDs
// has thousands of entries, read by several workers at once (a full resync
// of 10,000 fabrics holds one per busy worker).
type tree struct {
	SHA       string      `json:"sha"`
	Truncated bool        `json:"truncated"`
	Entries   []treeEntry `json:"tree"`
}

type treeEntry struct {
	Path string `json:"path"`
	Mode string `json:"mode"`
	Type string `json:"type"`
	SHA  string `json:"sha"`
	Size int64  `json:"size"`
}

// getTree is GET /repos/{owner}/{repo}/git/trees/{sha}[?recursive=1], the
// request go-github's GetTree makes. The answer is decoded as it arrives,
// entry by entry, so that no copy of the whole body (about 250 bytes per
// entry) is held; keep, when not nil, picks the entries to hold.
func (s *session) getTree(ctx context.Context, sha string, recursive bool, keep func(path string) bool) (*tree, error) {
	u := fmt.Sprintf("repos/%v/%v/git/trees/%v", s.repo.Owner, s.repo.Name, sha)
	if recursive {
		u += "?recursive=1"
	}
	req, err := s.c.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, s.fail("get tree "+sha, err)
	}
	resp, err := s.c.BareDo(ctx, req)
	if err != nil {
		return nil, s.fail("get tree "+sha, err)
	}
	defer resp.Body.Close()
	t, err := decodeTree(json.NewDecoder(resp.Body), keep)
	if err != nil {
		return nil, s.fail("get tree "+sha, fmt.Errorf("decode answer: %w", err))
	}
	return t, nil
}

// decodeTree reads one tree object from dec: sha, truncated, and the
// entries of "tree" that keep accepts; other members are skipped.
func decodeTree(dec *json.Decoder, keep func(path string) bool) (*tree, error) {
	t := new(tree)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch key {
		case "sha":
			err = dec.Decode(&t.SHA)
		case "truncated":
			err = dec.Decode(&t.Truncated)
		case "tree":
			err = decodeEntries(dec, t, keep)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, err
		}
	}
	return t, expectDelim(dec, '}')
}

func decodeEntries(dec *json.Decoder, t *tree, keep func(path string) bool) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		var e treeEntry
		if err := dec.Decode(&e); err != nil {
			return err
		}
		if keep == nil || keep(e.Path) {
			t.Entries = append(t.Entries, e)
		}
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

// readTree lists the FGDs of the tree treeSHA. One recursive listing is
// enough unless GitHub truncates it; then each FGD's subtree is walked.
func (s *session) readTree(ctx context.Context, treeSHA string, dirs []string) (*headTree, error) {
	w := &treeWalker{s: s, cache: map[string]*tree{}}
	// Of a recursive listing only the entries under the FGDs are kept (a
	// one-fabric batch in a repository of a hundred FGDs keeps 1 in 100);
	// a truncated listing is walked from its root, so nothing is dropped
	// then.
	root, err := s.getTree(ctx, treeSHA, true, func(p string) bool { return underAny(p, dirs) })
	if err != nil {
		return nil, err
	}
	var all []treeEntry
	if !root.Truncated {
		all = root.Entries
	} else {
		seen := map[string]bool{}
		for _, d := range dirs {
			sub, err := w.subtree(ctx, treeSHA, d)
			if err != nil {
				return nil, err
			}
			if sub == "" || seen[d] {
				continue // the FGD does not exist yet
			}
			seen[d] = true
			es, err := w.list(ctx, sub, prefixOf(d))
			if err != nil {
				return nil, err
			}
			all = append(all, es...)
		}
	}
	ht := &headTree{index: map[string]fgd.Entry{}, dirs: map[string][]fgd.Entry{}, shas: map[string]bool{}}
	for _, e := range all {
		typ, ok := entryType(e)
		if !ok {
			continue
		}
		p := e.Path
		in := false
		for _, d := range dirs {
			if rel, ok := strings.CutPrefix(p, prefixOf(d)); ok {
				in = true
				ht.dirs[d] = append(ht.dirs[d], fgd.Entry{Path: rel, Type: typ, Size: e.Size, SHA: e.SHA})
			}
		}
		if in {
			ht.index[p] = fgd.Entry{Path: p, Type: typ, Size: e.Size, SHA: e.SHA}
			if typ == fgd.TypeFile || typ == fgd.TypeExecutable {
				ht.shas[e.SHA] = true
			}
		}
	}
	for _, es := range ht.dirs {
		sort.Slice(es, func(i, j int) bool { return es[i].Path < es[j].Path })
	}
	return ht, nil
}

// underAny reports whether repository path p is inside one of dirs.
func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(p, prefixOf(d)) {
			return true
		}
	}
	return false
}

func prefixOf(dir string) string {
	if dir == "" {
		return ""
	}
	return dir + "/"
}

func entryType(e treeEntry) (fgd.EntryType, bool) {
	switch e.Mode {
	case "100644", "100664":
		return fgd.TypeFile, true
	case "100755":
		return fgd.TypeExecutable, true
	case "120000":
		return fgd.TypeSymlink, true
	case "160000":
		return fgd.TypeSubmodule, true
	}
	return "", false
}

// treeWalker reads trees level by level when a recursive listing was
// truncated.
type treeWalker struct {
	s     *session
	cache map[string]*tree
}

func (w *treeWalker) get(ctx context.Context, sha string, recursive bool) (*tree, error) {
	if !recursive {
		if t, ok := w.cache[sha]; ok {
			return t, nil
		}
	}
	t, err := w.s.getTree(ctx, sha, recursive, nil)
	if err != nil {
		return nil, err
	}
	if !recursive {
		w.cache[sha] = t
	}
	return t, nil
}

// subtree returns the SHA of the tree at dir, "" when there is none.
func (w *treeWalker) subtree(ctx context.Context, root, dir string) (string, error) {
	sha := root
	if dir == "" {
		return sha, nil
	}
	for _, seg := range strings.Split(dir, "/") {
		t, err := w.get(ctx, sha, false)
		if err != nil {
			return "", err
		}
		sha = ""
		for _, e := range t.Entries {
			if e.Path == seg && e.Type == "tree" {
				sha = e.SHA
			}
		}
		if sha == "" {
			return "", nil
		}
	}
	return sha, nil
}

// list returns every entry under the tree sha with paths prefixed: one
// recursive listing, or level by level when that is truncated too.
func (w *treeWalker) list(ctx context.Context, sha, prefix string) ([]treeEntry, error) {
	t, err := w.get(ctx, sha, true)
	if err != nil {
		return nil, err
	}
	recursive := !t.Truncated
	if !recursive {
		if t, err = w.get(ctx, sha, false); err != nil {
			return nil, err
		}
	}
	var out []treeEntry
	for _, e := range t.Entries {
		c := e
		c.Path = prefix + e.Path
		out = append(out, c)
		if !recursive && e.Type == "tree" {
			sub, err := w.list(ctx, e.SHA, c.Path+"/")
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
	}
	return out, nil
}

// snapshots reads the content of the paths Wanted names in each FGD, each
// distinct blob once. The default Wanted (fgd.Wanted) never names a file
// over the engine's size limit, so such a blob is never fetched: the plan
// moves it by its SHA.
func (s *session) snapshots(ctx context.Context, ht *headTree, dirs []string) (map[string]fgd.Snapshot, error) {
	blobs := map[string][]byte{}
	return gitport.Snapshots(dirs, ht.dirs, s.g.opts.Wanted, func(_ string, e fgd.Entry) ([]byte, error) {
		if b, ok := blobs[e.SHA]; ok {
			return b, nil
		}
		raw, _, err := s.c.Git.GetBlobRaw(ctx, s.repo.Owner, s.repo.Name, e.SHA)
		if err != nil {
			return nil, s.fail("get blob "+e.SHA, err)
		}
		if fgd.BlobSHA(raw) != e.SHA {
			return nil, &gitport.Error{Class: gitport.ClassTransient, Repo: s.repo, Op: "get blob " + e.SHA, Message: "content does not match its SHA"}
		}
		blobs[e.SHA] = raw
		return raw, nil
	})
}

// effective is the plan's effective changes (gitport.EffectiveChanges)
// as Git Data API tree entries.
func (ht *headTree) effective(in []fgd.Change, dirs []string) ([]change, error) {
	eff, err := gitport.EffectiveChanges(in, dirs, ht.index, func(sha string) bool { return ht.shas[sha] })
	if err != nil {
		return nil, err
	}
	out := make([]change, 0, len(eff))
	for _, e := range eff {
		if e.Delete {
			typ := "blob"
			if e.Current.Type == fgd.TypeSubmodule {
				typ = "commit"
			}
			out = append(out, change{path: e.Path, del: true, mode: modeOf(e.Current.Type), typ: typ})
			continue
		}
		out = append(out, change{path: e.Path, content: e.Content, sha: e.SHA, ref: e.Ref, mode: "100644", typ: "blob"})
	}
	return out, nil
}

func modeOf(t fgd.EntryType) string {
	switch t {
	case fgd.TypeExecutable:
		return "100755"
	case fgd.TypeSymlink:
		return "120000"
	case fgd.TypeSubmodule:
		return "160000"
	}
	return "100644"
}

func utf8Valid(b []byte) bool { return utf8.Valid(b) && !strings.ContainsRune(string(b), 0) }

func base64Encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
