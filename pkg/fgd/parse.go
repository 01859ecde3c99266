package fgd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// srcDoc is one non-empty YAML document of a source file.
type srcDoc struct {
	index int    // among the file's non-empty documents, from 0
	line  int    // 1-based line of the document's first line in the file
	text  []byte // the document exactly as in the source text
	root  *yaml.Node
	// expand is set when the document uses aliases or merge keys: its
	// tree must be expanded before it is read or written.
	expand bool
}

// parseFile splits src into documents and parses each. A non-empty reason
// means the file must be kept whole: it does not parse or breaks a limit.
func parseFile(src []byte, lim Limits) (docs []*srcDoc, reason string) {
	if int64(len(src)) > lim.MaxFileBytes {
		return nil, fmt.Sprintf("file is %d bytes, over the limit of %d", len(src), lim.MaxFileBytes)
	}
	if bytes.IndexByte(src, 0) >= 0 || !utf8.Valid(src) {
		return nil, "binary or not UTF-8 text"
	}
	segs := splitDocuments(src)
	nonEmpty := 0
	for _, s := range segs {
		if !s.blank {
			nonEmpty++
		}
	}
	if nonEmpty > lim.MaxDocuments {
		return nil, fmt.Sprintf("more than %d YAML documents", lim.MaxDocuments)
	}
	for _, s := range segs {
		if s.blank {
			continue
		}
		root, err := parseDoc(s.text)
		if err != nil {
			return nil, fmt.Sprintf("not valid YAML: document at line %d: %s", s.line, oneLine(err.Error()))
		}
		if root == nil {
			continue // only comments, markers or directives
		}
		w := walker{lim: lim}
		if err := w.check(root); err != nil {
			return nil, fmt.Sprintf("document at line %d: %s", s.line, err)
		}
		docs = append(docs, &srcDoc{index: len(docs), line: s.line, text: s.text, root: root, expand: w.aliases})
	}
	return docs, ""
}

// parseDoc parses one document's text; it returns nil for an empty one.
func parseDoc(text []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	root = doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" && root.Value == "" {
		return nil, nil
	}
	return root, nil
}

type segment struct {
	text  []byte
	line  int
	blank bool // only blank lines, comments, markers and directives
}

// splitDocuments cuts src at document markers ("---" and "..." at the start
// of a line, which YAML forbids inside content), keeping each document's
// exact text so that unmanaged documents can be written as they were.
func splitDocuments(src []byte) []segment {
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	var segs []segment
	start, startLine, line := 0, 1, 1
	blank := true
	flush := func(end int) {
		if end > start {
			segs = append(segs, segment{text: src[start:end], line: startLine, blank: blank})
		}
	}
	for pos := 0; pos < len(src); line++ {
		end := bytes.IndexByte(src[pos:], '\n')
		next := len(src)
		if end >= 0 {
			next = pos + end + 1
		}
		l := src[pos:next]
		switch {
		case isMarker(l, "---"):
			flush(pos)
			start, startLine, blank = pos, line, true
			if rest := bytes.TrimSpace(l[3:]); len(rest) > 0 && rest[0] != '#' {
				blank = false // content on the marker line: "--- {a: 1}"
			}
		case isMarker(l, "..."):
			flush(next)
			start, startLine, blank = next, line+1, true
		default:
			if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' && !(l[0] == '%' && blank) {
				blank = false
			}
		}
		pos = next
	}
	flush(len(src))
	return segs
}

func isMarker(l []byte, m string) bool {
	if !bytes.HasPrefix(l, []byte(m)) {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r' || l[3] == '\n'
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var errCycle = errors.New("an alias refers to its own anchor")

// walker checks one document against the limits without expanding it:
// nesting depth, the size alias expansion would reach, and duplicate keys.
type walker struct {
	lim     Limits
	aliases bool // an alias or merge key was seen
	memo    map[*yaml.Node]stats
	active  map[*yaml.Node]bool
}

type stats struct {
	depth int
	size  int64 // nodes in the fully expanded subtree
}

const sizeCap = int64(1) << 50

func (w *walker) check(root *yaml.Node) error {
	literal := int64(0)
	st, err := w.walk(root, &literal)
	if err != nil {
		return err
	}
	if st.depth > w.lim.MaxDepth {
		return fmt.Errorf("nested %d levels deep, over the limit of %d", st.depth, w.lim.MaxDepth)
	}
	if st.size-literal > int64(w.lim.MaxAliases) {
		return fmt.Errorf("alias expansion would copy more than %d nodes", w.lim.MaxAliases)
	}
	return nil
}

// walk returns the depth and expanded size of n; literal counts the nodes
// actually present in the text.
func (w *walker) walk(n *yaml.Node, literal *int64) (stats, error) {
	if n.Kind == yaml.AliasNode {
		w.aliases = true
		t := n.Alias
		if t == nil {
			return stats{}, errors.New("an alias without an anchor")
		}
		if s, ok := w.memo[t]; ok {
			return s, nil
		}
		if w.active[t] {
			return stats{}, errCycle
		}
		if w.memo == nil {
			w.memo, w.active = map[*yaml.Node]stats{}, map[*yaml.Node]bool{}
		}
		w.active[t] = true
		lit := int64(0) // the target's own nodes are counted where they stand
		s, err := w.walk(t, &lit)
		delete(w.active, t)
		if err != nil {
			return stats{}, err
		}
		w.memo[t] = s
		return s, nil
	}
	*literal++
	st := stats{size: 1}
	if len(n.Content) == 0 {
		return st, nil
	}
	if n.Kind == yaml.MappingNode {
		if err := checkDuplicateKeys(n); err != nil {
			return stats{}, err
		}
	}
	maxDepth := 0
	for _, c := range n.Content {
		if n.Kind == yaml.MappingNode && c.Kind == yaml.ScalarNode && c.ShortTag() == "!!merge" {
			w.aliases = true
		}
		cs, err := w.walk(c, literal)
		if err != nil {
			return stats{}, err
		}
		if cs.depth > maxDepth {
			maxDepth = cs.depth
		}
		st.size += cs.size
		if st.size > sizeCap {
			st.size = sizeCap
		}
		if maxDepth > w.lim.MaxDepth {
			break // deep enough to fail; do not descend any further
		}
	}
	st.depth = maxDepth
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		st.depth++
	}
	return st, nil
}

func checkDuplicateKeys(m *yaml.Node) error {
	c := m.Content
	if len(c) <= 16 {
		for i := 0; i < len(c); i += 2 {
			for j := i + 2; j < len(c); j += 2 {
				if sameScalar(c[i], c[j]) {
					return fmt.Errorf("duplicate mapping key %q at line %d", c[j].Value, c[j].Line)
				}
			}
		}
		return nil
	}
	seen := make(map[[2]string]bool, len(c)/2)
	for i := 0; i < len(c); i += 2 {
		k := c[i]
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			continue
		}
		key := [2]string{k.ShortTag(), k.Value}
		if seen[key] {
			return fmt.Errorf("duplicate mapping key %q at line %d", k.Value, k.Line)
		}
		seen[key] = true
	}
	return nil
}

func sameScalar(a, b *yaml.Node) bool {
	return a.Kind == yaml.ScalarNode && b.Kind == yaml.ScalarNode && a.Value == b.Value &&
		a.ShortTag() != "!!merge" && a.ShortTag() == b.ShortTag()
}
