package fgd

import (
	"go.yaml.in/yaml/v3"
)

// fastEncode writes a normalized tree exactly as encode does, for the shape
// almost every Kubernetes object has: block mappings and sequences of short
// plain scalars. yaml.v3's emitter queues every event in a slice that never
// shrinks, which made encoding the engine's main cost; this writer does the
// same job in one pass. It declines (ok false) whenever the library's own
// judgement could differ — quoting, line folding, tags, null, long or odd
// keys — and the caller then uses encode. FuzzFastEncode checks that every
// accepted tree gives encode's bytes.
func fastEncode(n *yaml.Node) (out []byte, ok bool) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return nil, false
	}
	w := fastWriter{b: make([]byte, 0, 1024)}
	if !w.mapping(n, 0, false) {
		return nil, false
	}
	return w.b, true
}

type fastWriter struct {
	b         []byte
	lineStart int
}

const fastMaxWidth = 80 // yaml.v3's best_width: plain scalars with spaces fold beyond it

func (w *fastWriter) indent(n int) {
	for i := 0; i < n; i++ {
		w.b = append(w.b, ' ')
	}
}

func (w *fastWriter) newline() {
	w.b = append(w.b, '\n')
	w.lineStart = len(w.b)
}

func (w *fastWriter) mapping(m *yaml.Node, ind int, inline bool) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if i > 0 || !inline {
			w.indent(ind)
		}
		if !fastKey(k) {
			return false
		}
		w.b = append(w.b, k.Value...)
		w.b = append(w.b, ':')
		if !w.value(v, ind, false) {
			return false
		}
	}
	return true
}

func (w *fastWriter) sequence(s *yaml.Node, ind int, inline bool) bool {
	for i, v := range s.Content {
		if i > 0 || !inline {
			w.indent(ind)
		}
		w.b = append(w.b, "- "...)
		if !w.value(v, ind, true) {
			return false
		}
	}
	return true
}

// value writes the value of a mapping key (after "key:") or, inSeq, of a
// sequence item (after "- "), whose key or dash stands at indentation ind.
// A nested collection starts on the next line after a key and on the same
// line after a dash, as yaml.v3 writes them.
func (w *fastWriter) value(v *yaml.Node, ind int, inSeq bool) bool {
	lead := " "
	if inSeq {
		lead = ""
	}
	switch v.Kind {
	case yaml.ScalarNode:
		w.b = append(w.b, lead...)
		if !w.scalar(v) {
			return false
		}
		w.newline()
		return true
	case yaml.MappingNode, yaml.SequenceNode:
		if !fastCollection(v) {
			return false
		}
		if len(v.Content) == 0 {
			w.b = append(w.b, lead...)
			w.b = append(w.b, emptyCollection[v.Kind]...)
			w.newline()
			return true
		}
		if !inSeq {
			w.newline()
		}
		if v.Kind == yaml.MappingNode {
			return w.mapping(v, ind+2, inSeq)
		}
		if inSeq {
			ind += 2
		}
		return w.sequence(v, ind, inSeq)
	}
	return false
}

var emptyCollection = map[yaml.Kind]string{yaml.MappingNode: "{}", yaml.SequenceNode: "[]"}

func fastCollection(n *yaml.Node) bool {
	return n.Style == 0 && n.Anchor == "" && (n.Tag == "!!map" || n.Tag == "!!seq" || n.Tag == "")
}

// fastKey accepts the keys Kubernetes objects use: a plain string that
// starts with a letter and holds only letters, digits and ._/-.
func fastKey(k *yaml.Node) bool {
	if k.Kind != yaml.ScalarNode || k.Style != 0 || k.Tag != "!!str" || len(k.Value) == 0 || len(k.Value) > 120 {
		return false
	}
	if !isLetter(k.Value[0]) || keyword(k.Value) {
		return false
	}
	for i := 0; i < len(k.Value); i++ {
		c := k.Value[i]
		if !(isLetter(c) || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '/' || c == '-') {
			return false
		}
	}
	return true
}

func (w *fastWriter) scalar(v *yaml.Node) bool {
	s := v.Value
	if v.Anchor != "" || len(s) == 0 || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	spaces := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c), c >= '0' && c <= '9', c == '.', c == '_', c == '/', c == '-', c == '+', c == '=', c == '@':
		case c == ':':
			if i == len(s)-1 || s[i+1] == ' ' {
				return false
			}
		case c == ' ':
			spaces = true
		case c == '#': // a comment only at the start or after a space
			if i == 0 || s[i-1] == ' ' {
				return false
			}
		default:
			return false
		}
	}
	quoted := false
	switch {
	case v.Style == yaml.DoubleQuotedStyle && v.Tag == "!!str":
		quoted = true
	case v.Style != 0:
		return false
	case v.Tag == "!!str":
		if !plainString(s) {
			return false
		}
	case v.Tag == "!!int", v.Tag == "!!float", v.Tag == "!!bool":
		if spaces {
			return false
		}
	default:
		return false
	}
	width := len(w.b) - w.lineStart + len(s)
	if quoted {
		width += 2
	}
	if spaces && width > fastMaxWidth {
		return false
	}
	if quoted {
		w.b = append(w.b, '"')
		w.b = append(w.b, s...)
		w.b = append(w.b, '"')
		return true
	}
	w.b = append(w.b, s...)
	return true
}

// plainString reports whether yaml.v3 reads s, written plain, back as the
// same string, and writes it plain: it must start with a letter (v3 only
// resolves letter-led words from a short list) or be digit-led with a
// character no number or timestamp has.
func plainString(s string) bool {
	if isLetter(s[0]) {
		return !keyword(s) && !yaml11NotString(s)
	}
	if s[0] < '0' || s[0] > '9' || yaml11NotString(s) {
		return false
	}
	if len(s) >= 5 && s[4] == '-' {
		return false // may be a timestamp
	}
	dots := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '/', c == ':', c == ' ', c == '@', c == '=':
			return true
		case isLetter(c) && !isHexOrExp(c):
			return true
		case c == '.':
			if dots++; dots == 2 {
				return true // 10.0.1.1: neither an int, a float nor a timestamp
			}
		}
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isHexOrExp(c byte) bool {
	return c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == 'x' || c == 'X' || c == 'o' || c == 'O'
}

// keyword lists the plain words yaml.v3 resolves to something else than a
// string.
func keyword(s string) bool {
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL":
		return true
	}
	return false
}
