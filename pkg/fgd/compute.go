package fgd

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrMissingContent means the snapshot lacks the content of a path Wanted
// named: a bug of the caller, not a property of the repository.
var ErrMissingContent = errors.New("content missing for a wanted path")

// ErrUnsafePath means the engine computed a change outside the FGD's
// layout. It is a bug of the engine, reported rather than written.
var ErrUnsafePath = errors.New("change outside the FGD layout")

type srcFile struct {
	path    string
	entry   Entry
	content []byte
	root    bool   // directly in the FGD (the old flat layout)
	rel     string // name below unmanaged/
	whole   string // non-empty: handled whole, for this reason
	big     bool   // over MaxFileBytes: never read, moved by blob SHA
	keep    string // non-empty: stays in place, for this reason
	docs    []*doc
}

// doc is a classified document. Its parsed tree is dropped once the managed
// file is rendered: keeping ten thousand trees alive would make the garbage
// collector, not the YAML library, the engine's main cost.
type doc struct {
	*srcDoc
	class   classification
	content []byte // the managed file's bytes
	schema  string // Document.Schema
	note    string // Document.Note
}

func (d *doc) key() string { return d.class.folder + "/" + d.class.name }

// blob is what a path is to hold: content, or (sha set) the existing blob
// at from, which the engine never read.
type blob struct {
	content []byte
	sha     string
	from    string
}

func (b blob) blobSHA() string {
	if b.sha != "" {
		return b.sha
	}
	return BlobSHA(b.content)
}

type computer struct {
	st       Settings
	lim      Limits
	strategy ArchiveStrategy
	entries  map[string]Entry
	dirs     map[string]bool
	// writes are compared with the listing by blob SHA; createOnly are
	// written only when the path is absent.
	writes     map[string]blob
	createOnly map[string][]byte
	deletes    map[string]bool
	claimed    map[string]bool
	res        *Result
	log        []logEntry
}

// Compute plans one reconcile of one FGD: the skeleton, the ingestion of
// every source file, the archive log and the kustomization. It is
// deterministic and returns an error only for a caller bug (ErrMissingContent)
// or an engine bug (ErrUnsafePath). A candidate whose Entry.Size is over
// Limits.MaxFileBytes is decided from its Entry alone, whether or not its
// content is in the snapshot: under raw/ it is moved whole to unmanaged/ by
// a Change with SHA set; in the FGD root it is left in place.
func Compute(s Snapshot, st Settings) (*Result, error) {
	strategy := st.ArchiveStrategy
	if strategy == "" {
		strategy = ArchiveDelete
	}
	if strategy != ArchiveDelete && strategy != ArchiveRename {
		return nil, fmt.Errorf("fgd: unknown archive strategy %q", strategy)
	}
	if d, err := CheckDir(st.RepoDir); err != nil || d != st.RepoDir {
		return nil, fmt.Errorf("fgd: settings: RepoDir %q is not a checked FGD path", st.RepoDir)
	}
	c := &computer{
		st: st, lim: st.Limits.withDefaults(), strategy: strategy,
		entries: map[string]Entry{}, dirs: map[string]bool{},
		writes: map[string]blob{}, createOnly: map[string][]byte{},
		deletes: map[string]bool{}, claimed: map[string]bool{},
		res: &Result{},
	}
	for _, e := range s.Entries {
		if !cleanRel(e.Path) {
			continue
		}
		c.entries[e.Path] = e
		for d := path.Dir(e.Path); d != "."; d = path.Dir(d) {
			c.dirs[d] = true
		}
	}
	files, err := c.read(s.Contents)
	if err != nil {
		return nil, err
	}
	c.findConflicts(files)
	for _, f := range files {
		c.place(f)
	}
	sortDocuments(c.res.Documents)
	if err := c.layout(s.Contents); err != nil {
		return nil, err
	}
	if err := c.changes(); err != nil {
		return nil, err
	}
	c.summarize()
	return c.res, nil
}

func (c *computer) sortedPaths() []string {
	ps := make([]string, 0, len(c.entries))
	for p := range c.entries {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// read parses and classifies every candidate source file, in path order.
func (c *computer) read(contents map[string][]byte) ([]*srcFile, error) {
	var files []*srcFile
	for _, p := range c.sortedPaths() {
		e := c.entries[p]
		inRaw := strings.HasPrefix(p, DirRaw+"/")
		if !readable(e.Type) {
			if inRaw {
				c.res.Documents = append(c.res.Documents, Document{Source: p, Placement: PlacementKept,
					Reason: fmt.Sprintf("a %s is never read or moved", e.Type)})
			}
			continue
		}
		if !isCandidate(p) {
			if inRaw && path.Base(p) != Gitkeep && !strings.HasSuffix(p, ArchivedSuffix) {
				c.res.Documents = append(c.res.Documents, Document{Source: p, Placement: PlacementKept,
					Reason: "not a .yaml or .yml file"})
			}
			continue
		}
		f := &srcFile{path: p, entry: e, root: !inRaw, rel: strings.TrimPrefix(p, DirRaw+"/")}
		if oversized(e, c.lim) {
			if !isBlobID(e.SHA) {
				return nil, fmt.Errorf("fgd: %s: over the size limit, without a blob id to move it by: %w", p, ErrMissingContent)
			}
			f.big = true
			f.whole = fmt.Sprintf("file is %d bytes, over the limit of %d", e.Size, c.lim.MaxFileBytes)
			if !f.root {
				f.whole += ": moved whole without reading"
			}
		} else {
			content, ok := contents[p]
			if !ok {
				return nil, fmt.Errorf("fgd: %s: %w", p, ErrMissingContent)
			}
			f.content = content
			c.parse(f)
		}
		if f.root {
			if f.whole != "" {
				c.res.Documents = append(c.res.Documents, Document{Source: p, Placement: PlacementKept,
					Reason: "left in place: " + f.whole})
				continue
			}
			if !slices.ContainsFunc(f.docs, func(d *doc) bool { return d.class.folder != "" || d.schema == SchemaInvalid }) {
				continue // a root file without Hedgehog objects is the user's own
			}
		}
		files = append(files, f)
	}
	return files, nil
}

func (c *computer) parse(f *srcFile) {
	docs, reason := parseFile(f.content, c.lim)
	if reason != "" {
		f.whole = reason
		return
	}
	for _, sd := range docs {
		d := &doc{srcDoc: sd}
		root := sd.root
		if sd.expand {
			var err error
			if root, err = expand(root); err != nil {
				f.whole, f.docs = fmt.Sprintf("document at line %d: %s", sd.line, err), nil
				return
			}
		}
		d.class = classify(root)
		if d.class.folder != "" {
			c.renderManaged(d, root, path.Join(c.st.RepoDir, f.path)+"#"+strconv.Itoa(sd.index))
		}
		sd.root = nil
		f.docs = append(f.docs, d)
	}
}

// renderManaged normalizes a managed document, checks it against its CRD
// schema when the settings carry one, and renders it; a document that fails
// the schema or cannot be encoded becomes unmanaged with the reason.
func (c *computer) renderManaged(d *doc, root *yaml.Node, source string) {
	n := normalize(root, c.st.FabricName)
	if c.st.Schemas != nil {
		var text string
		d.schema, text = checkSchema(c.st.Schemas, d.class, n.top)
		switch d.schema {
		case SchemaInvalid:
			d.class.folder, d.class.reason = "", text
			return
		case SchemaUnknown:
			d.note = text
		}
	}
	b, err := n.encode(source)
	if err != nil {
		d.class.folder, d.class.reason = "", "could not be re-encoded: "+oneLine(err.Error())
		return
	}
	d.content = b
}

// findConflicts marks every file that defines a kind and name that another
// document of this run defines differently.
func (c *computer) findConflicts(files []*srcFile) {
	byKey := map[string][]*doc{}
	fileOf := map[*doc]*srcFile{}
	var keys []string
	for _, f := range files {
		for _, d := range f.docs {
			if d.class.folder == "" {
				continue
			}
			k := d.key()
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], d)
			fileOf[d] = f
		}
	}
	for _, k := range keys {
		ds := byKey[k]
		if len(ds) < 2 || !c.differ(ds) {
			continue
		}
		cf := Conflict{Kind: ds[0].class.kind, Name: ds[0].class.name}
		for _, d := range ds {
			cf.Sources = append(cf.Sources, fileOf[d].path+"#"+strconv.Itoa(d.index))
		}
		slices.Sort(cf.Sources)
		c.res.Conflicts = append(c.res.Conflicts, cf)
		for _, d := range ds {
			if f := fileOf[d]; f.keep == "" {
				f.keep = "conflict: " + cf.String()
			}
		}
	}
}

// differ reports whether the documents differ other than in their source
// annotation. It is only needed for a kind and name seen twice, so it parses
// the documents' text again rather than keeping every tree.
func (c *computer) differ(ds []*doc) bool {
	var first []byte
	for i, d := range ds {
		root, err := parseDoc(d.text)
		if err != nil || root == nil {
			return true
		}
		if d.expand {
			if root, err = expand(root); err != nil {
				return true
			}
		}
		b, err := render(root, c.st.FabricName, "")
		if err != nil {
			return true
		}
		if i == 0 {
			first = b
		} else if !bytes.Equal(first, b) {
			return true
		}
	}
	return false
}

// place decides where every document of f goes and what happens to f.
func (c *computer) place(f *srcFile) {
	sf := SourceFile{Path: f.path, Blob: f.entry.SHA}
	add := func(d Document) { c.res.Documents = append(c.res.Documents, d) }
	switch {
	case f.keep != "":
		sf.Action, sf.Reason = ActionKept, f.keep
		for _, d := range f.docs {
			add(Document{Source: f.path + "#" + strconv.Itoa(d.index), Kind: d.class.kind, Name: d.class.name,
				Placement: PlacementKept, Reason: f.keep, Schema: d.schema, Note: d.note})
		}
		c.res.Sources = append(c.res.Sources, sf)
		c.log = append(c.log, logEntry{Source: f.path, Blob: sf.Blob, Action: sf.Action, ParentCommit: c.st.ParentCommit, Reason: sf.Reason})
		return
	case f.whole != "":
		b := f.blob()
		dest := c.unmanagedDest(f.rel, b.blobSHA())
		c.writes[dest] = b
		sf.Action, sf.Reason, sf.Outputs = ActionUnmanaged, f.whole, []string{dest}
		add(Document{Source: f.path, Placement: PlacementUnmanaged, Destination: dest, Reason: f.whole})
	default:
		var unmanaged []*doc
		managed := 0
		for _, d := range f.docs {
			if d.class.folder == "" {
				unmanaged = append(unmanaged, d)
				continue
			}
			managed++
			dest := DirManaged + "/" + d.key() + ".yaml"
			if _, dup := c.writes[dest]; !dup {
				c.writes[dest] = blob{content: d.content}
				sf.Outputs = append(sf.Outputs, dest)
			}
			add(Document{Source: f.path + "#" + strconv.Itoa(d.index), Kind: d.class.kind, Name: d.class.name,
				Placement: PlacementManaged, Destination: dest, Schema: d.schema, Note: d.note})
		}
		sf.Action = ActionIngested
		if len(unmanaged) > 0 {
			content := f.content // nothing managed: keep the file as it was
			if managed > 0 {
				content = joinDocs(unmanaged)
			} else {
				sf.Action = ActionUnmanaged
				sf.Reason = "no Hedgehog custom resource that HNP manages"
			}
			dest := c.unmanagedDest(f.rel, BlobSHA(content))
			c.writes[dest] = blob{content: content}
			sf.Outputs = append(sf.Outputs, dest)
			for _, d := range unmanaged {
				add(Document{Source: f.path + "#" + strconv.Itoa(d.index), Kind: d.class.kind, Name: d.class.name,
					Placement: PlacementUnmanaged, Destination: dest, Reason: d.class.reason, Schema: d.schema})
			}
		}
	}
	c.deletes[f.path] = true
	if c.strategy == ArchiveRename {
		b := f.blob()
		sf.ArchivedTo = c.archivedDest(f.path, b.blobSHA())
		c.writes[sf.ArchivedTo] = b
	}
	c.res.Sources = append(c.res.Sources, sf)
	c.log = append(c.log, logEntry{Source: f.path, Blob: sf.Blob, Action: sf.Action, ParentCommit: c.st.ParentCommit,
		Reason: sf.Reason, RenamedTo: sf.ArchivedTo, Outputs: sf.Outputs})
}

// blob is the whole source file: by reference when it was never read.
func (f *srcFile) blob() blob {
	if f.big {
		return blob{sha: f.entry.SHA, from: f.path}
	}
	return blob{content: f.content}
}

// isBlobID reports whether s is a git object id (SHA-1 or SHA-256, lower-case hex).
func isBlobID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}

// joinDocs concatenates documents as they were in the source text.
func joinDocs(ds []*doc) []byte {
	var b bytes.Buffer
	for i, d := range ds {
		t := d.text
		if i > 0 && !bytes.HasPrefix(t, []byte("---")) {
			b.WriteString("---\n")
		}
		b.Write(t)
		if len(t) > 0 && t[len(t)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// free reports whether p can take the blob sha: unclaimed, and either
// absent or already holding exactly that blob.
func (c *computer) free(p, sha string) (ok, same bool) {
	if c.claimed[p] || c.dirs[p] {
		return false, false
	}
	if e, exists := c.entries[p]; exists {
		if readable(e.Type) && e.SHA == sha && !c.deletes[p] {
			return true, true
		}
		return false, false
	}
	return true, false
}

// unmanagedDest picks unmanaged/<rel>, or <name>-1<ext>, -2 ... when that is
// taken by another blob than sha.
func (c *computer) unmanagedDest(rel, sha string) string {
	base := DirUnmanaged + "/" + rel
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for i := 0; ; i++ {
		p := base
		if i > 0 {
			p = stem + "-" + strconv.Itoa(i) + ext
		}
		if ok, _ := c.free(p, sha); ok {
			c.claimed[p] = true
			return p
		}
	}
}

// archivedDest picks <path>.archived, or <path>.1.archived ... when that is
// taken by another blob than sha.
func (c *computer) archivedDest(src, sha string) string {
	for i := 0; ; i++ {
		p := src + ArchivedSuffix
		if i > 0 {
			p = src + "." + strconv.Itoa(i) + ArchivedSuffix
		}
		if ok, _ := c.free(p, sha); ok {
			c.claimed[p] = true
			return p
		}
	}
}

// layout adds the skeleton, the manifest, the kustomization and the archive
// log entries.
func (c *computer) layout(contents map[string][]byte) error {
	c.createOnly[PathReadme] = []byte(readmeText)
	c.createOnly[DirRaw+"/"+Gitkeep] = nil
	c.createOnly[DirUnmanaged+"/"+Gitkeep] = nil
	for _, f := range sortedFolders {
		c.createOnly[DirManaged+"/"+f+"/"+Gitkeep] = nil
	}
	m, err := manifestBytes(c.st, c.strategy)
	if err != nil {
		return fmt.Errorf("fgd: manifest: %w", err)
	}
	c.writes[PathManifest] = blob{content: m}
	c.writes[PathKustomization] = blob{content: kustomizationBytes(c.managedFiles())}
	return c.appendLog(contents)
}

// managedFiles lists, relative to managed/, every YAML file directly in a
// kind folder after this change set.
func (c *computer) managedFiles() []string {
	set := map[string]bool{}
	consider := func(p string) {
		rest, ok := strings.CutPrefix(p, DirManaged+"/")
		if !ok || !isYAMLName(rest) {
			return
		}
		folder, file, ok := strings.Cut(rest, "/")
		if !ok || strings.Contains(file, "/") || !slices.Contains(sortedFolders, folder) {
			return
		}
		set[rest] = true
	}
	for p, e := range c.entries {
		if readable(e.Type) && !c.deletes[p] {
			consider(p)
		}
	}
	for p := range c.writes {
		consider(p)
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// appendLog appends this run's entries to the archive log, never rewriting
// what is there. A "kept" entry already present for the same source and blob
// is not repeated, so a file that must stay does not change the log forever.
func (c *computer) appendLog(contents map[string][]byte) error {
	e, exists := c.entries[PathArchiveLog]
	if exists && !readable(e.Type) {
		return nil // not ours to touch
	}
	var old []byte
	if exists && len(c.log) > 0 {
		var ok bool
		if old, ok = contents[PathArchiveLog]; !ok {
			return fmt.Errorf("fgd: %s: %w", PathArchiveLog, ErrMissingContent)
		}
	}
	var add []logEntry
	for _, le := range c.log {
		if le.Action == ActionKept && len(old) > 0 {
			id, err := encodeEntries([]logEntry{{Source: le.Source, Blob: le.Blob, Action: le.Action}})
			if err != nil {
				return fmt.Errorf("fgd: archive log: %w", err)
			}
			if bytes.Contains(append([]byte("\n"), old...), append([]byte("\n"), id...)) {
				continue
			}
		}
		add = append(add, le)
	}
	if !exists {
		if len(add) == 0 {
			c.writes[PathArchiveLog] = blob{content: []byte(archiveLogHeader)}
			return nil
		}
		old = []byte(archiveLogHeader)
	}
	if len(add) == 0 {
		return nil
	}
	b, err := encodeEntries(add)
	if err != nil {
		return fmt.Errorf("fgd: archive log: %w", err)
	}
	out := make([]byte, 0, len(old)+len(b)+1)
	out = append(out, old...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	c.writes[PathArchiveLog] = blob{content: append(out, b...)}
	return nil
}

// changes turns the wanted state into the sorted list of real differences.
func (c *computer) changes() error {
	var out []Change
	for p, content := range c.createOnly {
		if _, exists := c.entries[p]; exists || c.dirs[p] {
			continue
		}
		if _, w := c.writes[p]; !w {
			c.writes[p] = blob{content: content}
		}
	}
	for p, b := range c.writes {
		e, exists := c.entries[p]
		ch := Change{Path: p, Content: nonNil(b.content)}
		if b.sha != "" {
			ch = Change{Path: p, SHA: b.sha, From: b.from}
		}
		switch {
		case !exists:
			ch.Op = OpCreate
		case !readable(e.Type) || e.SHA != b.blobSHA():
			ch.Op = OpUpdate
		default:
			continue
		}
		out = append(out, ch)
	}
	for p := range c.deletes {
		if _, w := c.writes[p]; !w {
			if _, exists := c.entries[p]; exists {
				out = append(out, Change{Path: p, Op: OpDelete})
			}
		}
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	for _, ch := range out {
		if !c.allowed(ch.Path) {
			return fmt.Errorf("fgd: %s %q: %w", ch.Op, ch.Path, ErrUnsafePath)
		}
	}
	c.res.Changes = out
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// allowed is the last safety net: the layout's own paths, anything under
// raw/, managed/ and unmanaged/, and the root source files and their
// archived copies.
func (c *computer) allowed(p string) bool {
	if !cleanRel(p) {
		return false
	}
	switch p {
	case PathReadme, PathManifest, PathArchiveLog:
		return true
	}
	for _, d := range [...]string{DirRaw, DirManaged, DirUnmanaged} {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	if strings.Contains(p, "/") {
		return false
	}
	src := p
	if strings.HasSuffix(p, ArchivedSuffix) {
		src = strings.TrimSuffix(p, ArchivedSuffix)
		if i := strings.LastIndexByte(src, '.'); i > 0 {
			if _, err := strconv.Atoi(src[i+1:]); err == nil {
				src = src[:i]
			}
		}
	}
	return isCandidate(src) && c.entries[src].Path == src
}

func (c *computer) summarize() {
	r := c.res
	_, hadManifest := c.entries[PathManifest]
	r.Initialized = !hadManifest && len(r.Changes) > 0
	name := c.st.FabricName
	if name == "" {
		name = "#" + strconv.FormatInt(c.st.FabricID, 10)
	}
	n := 0
	for _, d := range r.Documents {
		if d.Placement != PlacementKept {
			n++
		}
	}
	docs := strconv.Itoa(n) + " documents"
	if n == 1 {
		docs = "1 document"
	}
	switch {
	case len(r.Changes) == 0:
		r.Summary = "No changes for fabric " + name
	case r.Initialized && n > 0:
		r.Summary = "Initialize GitOps directory for fabric " + name + " and ingest " + docs
	case r.Initialized:
		r.Summary = "Initialize GitOps directory for fabric " + name
	case n > 0:
		r.Summary = "Ingest " + docs + " for fabric " + name
	default:
		r.Summary = "Update GitOps directory for fabric " + name
	}
}

// sortDocuments orders documents by source file, then document index.
func sortDocuments(ds []Document) {
	slices.SortStableFunc(ds, func(a, b Document) int {
		pa, ia := splitSource(a.Source)
		pb, ib := splitSource(b.Source)
		if c := strings.Compare(pa, pb); c != 0 {
			return c
		}
		return ia - ib
	})
}

func splitSource(s string) (string, int) {
	j := strings.LastIndexByte(s, '#')
	if j < 0 {
		return s, -1
	}
	i, err := strconv.Atoi(s[j+1:])
	if err != nil {
		return s, -1
	}
	return s[:j], i
}
