package fgd

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The annotations the engine adds to every managed file.
const (
	AnnotationManagedBy = "hnp.githedgehog.com/managed-by"
	AnnotationFabric    = "hnp.githedgehog.com/fabric"
	AnnotationSource    = "hnp.githedgehog.com/source"
	ManagedByValue      = "hnp-gitops"
	lastApplied         = "kubectl.kubernetes.io/last-applied-configuration"
)

// serverFields are the metadata keys the API server populates; they never
// belong in a desired-state file.
var serverFields = map[string]bool{
	"uid": true, "resourceVersion": true, "generation": true, "creationTimestamp": true,
	"managedFields": true, "selfLink": true, "deletionTimestamp": true,
}

// expand returns a copy of n with every alias replaced by a copy of its
// target and every merge key ("<<") resolved. The walker has already bounded
// the size of the result and ruled out cycles.
func expand(n *yaml.Node) (*yaml.Node, error) {
	if n.Kind == yaml.AliasNode {
		return expand(n.Alias)
	}
	out := *n
	out.Anchor, out.Alias = "", nil
	if len(n.Content) == 0 {
		out.Content = nil
		return &out, nil
	}
	out.Content = make([]*yaml.Node, 0, len(n.Content))
	if n.Kind != yaml.MappingNode {
		for _, c := range n.Content {
			e, err := expand(c)
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, e)
		}
		return &out, nil
	}
	// Explicit keys win over merged ones; among merged mappings the first
	// wins, as YAML's merge key type says.
	explicit := map[[2]string]bool{}
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge" {
			explicit[[2]string{k.ShortTag(), k.Value}] = true
		}
	}
	seen := map[[2]string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			srcs, err := mergeSources(v)
			if err != nil {
				return nil, err
			}
			for _, s := range srcs {
				em, err := expand(s)
				if err != nil {
					return nil, err
				}
				for j := 0; j+1 < len(em.Content); j += 2 {
					mk := em.Content[j]
					key := [2]string{mk.ShortTag(), mk.Value}
					if mk.Kind == yaml.ScalarNode && (explicit[key] || seen[key]) {
						continue
					}
					seen[key] = true
					out.Content = append(out.Content, mk, em.Content[j+1])
				}
			}
			continue
		}
		ek, err := expand(k)
		if err != nil {
			return nil, err
		}
		ev, err := expand(v)
		if err != nil {
			return nil, err
		}
		out.Content = append(out.Content, ek, ev)
	}
	return &out, nil
}

var errMerge = errors.New("a merge key (<<) needs a mapping or a list of mappings")

func mergeSources(v *yaml.Node) ([]*yaml.Node, error) {
	v = deref(v)
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}, nil
	case yaml.SequenceNode:
		out := make([]*yaml.Node, 0, len(v.Content))
		for _, c := range v.Content {
			if c = deref(c); c.Kind != yaml.MappingNode {
				return nil, errMerge
			}
			out = append(out, c)
		}
		return out, nil
	}
	return nil, errMerge
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// lookup returns the value of the scalar key k in mapping m.
func lookup(m *yaml.Node, k string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if c := m.Content[i]; c.Kind == yaml.ScalarNode && c.Value == k {
			return deref(m.Content[i+1])
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isString(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

// classification is where one document goes.
type classification struct {
	apiVersion, kind, name string
	folder                 string // non-empty: a managed custom resource
	reason                 string // why it is not managed
}

func classify(root *yaml.Node) classification {
	if root.Kind != yaml.MappingNode {
		return classification{reason: "not a mapping, so not a Kubernetes object"}
	}
	var c classification
	av, kind := lookup(root, "apiVersion"), lookup(root, "kind")
	if !isString(av) || !isString(kind) {
		c.reason = "no apiVersion and kind, so not a Kubernetes object"
		return c
	}
	c.apiVersion, c.kind = av.Value, kind.Value
	md := lookup(root, "metadata")
	if name := lookup(md, "name"); isString(name) {
		c.name = name.Value
	}
	folder := FolderFor(c.apiVersion, c.kind)
	switch {
	case folder == "" && isHedgehogGroup(c.apiVersion):
		c.reason = fmt.Sprintf("Hedgehog kind %s (%s) is not one HNP manages", c.kind, c.apiVersion)
	case folder == "":
		c.reason = fmt.Sprintf("%s (%s) is not a Hedgehog custom resource", c.kind, c.apiVersion)
	case md == nil || md.Kind != yaml.MappingNode:
		c.reason = "metadata is missing or not a mapping"
	case !isString(lookup(md, "name")):
		c.reason = "metadata.name is missing or not a string"
	case !IsDNSSubdomain(c.name):
		c.reason = fmt.Sprintf("metadata.name %q is not an RFC 1123 subdomain", truncate(c.name, 80))
	default:
		ns := lookup(md, "namespace")
		if !isNull(ns) && !(isString(ns) && (ns.Value == "" || ns.Value == "default")) {
			c.reason = fmt.Sprintf("namespace %q: Hedgehog objects live in namespace default", truncate(ns.Value, 80))
			break
		}
		if a := lookup(md, "annotations"); !isNull(a) && a.Kind != yaml.MappingNode {
			c.reason = "metadata.annotations is not a mapping"
			break
		}
		c.folder = folder
	}
	return c
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// str is a string node, quoted when a YAML 1.1 reader would misread it.
func str(v string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	if yaml11NotString(v) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// normalized is a managed document ready to encode; source is the value node
// of the source annotation.
type normalized struct {
	top    *yaml.Node
	source *yaml.Node
}

// render normalizes a classified custom resource and encodes it with the
// given source annotation.
func render(root *yaml.Node, fabric, source string) ([]byte, error) {
	return normalize(root, fabric).encode(source)
}

// encode writes the normalized document with the given source annotation.
func (n normalized) encode(source string) ([]byte, error) {
	n.source.Value = source
	if yaml11NotString(source) {
		n.source.Style = yaml.DoubleQuotedStyle
	}
	if b, ok := fastEncode(n.top); ok {
		return b, nil
	}
	return encode(n.top)
}

// normalize rewrites a classified custom resource in the contract's form:
// key order apiVersion, kind, metadata, spec, then the rest except status;
// namespace default; no server-populated metadata; the engine's annotations;
// no comments and no source styles, so equal objects give equal bytes.
// root is owned by the caller and modified.
func normalize(root *yaml.Node, fabric string) normalized {
	plain(root)
	top := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	var rest []*yaml.Node
	byKey := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "apiVersion", "kind", "metadata", "spec":
			if k.Kind == yaml.ScalarNode {
				byKey[k.Value] = v
				continue
			}
		case "status":
			if k.Kind == yaml.ScalarNode {
				continue
			}
		}
		rest = append(rest, k, v)
	}
	for _, k := range [...]string{"apiVersion", "kind", "metadata", "spec"} {
		if v, ok := byKey[k]; ok {
			if k == "metadata" {
				v = deref(v)
			}
			top.Content = append(top.Content, str(k), v)
		}
	}
	top.Content = append(top.Content, rest...)

	md := deref(byKey["metadata"]) // classify checked it is a mapping
	src := str("")
	var keep []*yaml.Node
	hasNS, hasAnn := false, false
	for i := 0; i+1 < len(md.Content); i += 2 {
		k, v := md.Content[i], md.Content[i+1]
		if serverFields[k.Value] {
			continue
		}
		switch k.Value {
		case "namespace":
			hasNS = true
			v = str("default")
		case "annotations":
			hasAnn = true
			v = annotations(deref(v), fabric, src)
		}
		keep = append(keep, k, v)
		if k.Value == "name" && !hasNS && lookup(md, "namespace") == nil {
			keep = append(keep, str("namespace"), str("default"))
			hasNS = true
		}
	}
	if !hasNS {
		keep = append(keep, str("namespace"), str("default"))
	}
	if !hasAnn {
		keep = append(keep, str("annotations"), annotations(nil, fabric, src))
	}
	md.Content = keep
	md.Tag, md.Style = "!!map", 0
	return normalized{top: top, source: src}
}

// annotations returns the annotation mapping with last-applied removed and
// the engine's three annotations set (in place when present).
func annotations(a *yaml.Node, fabric string, src *yaml.Node) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	set := map[string]*yaml.Node{AnnotationManagedBy: str(ManagedByValue), AnnotationFabric: str(fabric), AnnotationSource: src}
	if a != nil && a.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(a.Content); i += 2 {
			k, v := a.Content[i], a.Content[i+1]
			if k.Value == lastApplied {
				continue
			}
			if nv, ok := set[k.Value]; ok {
				v = nv
				delete(set, k.Value)
			}
			out.Content = append(out.Content, k, v)
		}
	}
	for _, k := range [...]string{AnnotationManagedBy, AnnotationFabric, AnnotationSource} {
		if v, ok := set[k]; ok {
			out.Content = append(out.Content, str(k), v)
		}
	}
	return out
}

// plain drops comments, anchors and presentation styles from the whole
// tree (a document reaching it has no alias left). Strings that a YAML 1.1
// reader would take for something else (kubectl and sigs.k8s.io/yaml read
// "yes" and "on" as booleans) are double-quoted.
func plain(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	n.Style, n.Anchor = 0, ""
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && yaml11NotString(n.Value) {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		plain(c)
	}
}

// yaml11NotString reports whether a plain scalar s would not be a string
// to a YAML 1.1 reader: the old booleans and sexagesimal numbers.
func yaml11NotString(s string) bool {
	if len(s) == 0 || len(s) > 5 && !strings.ContainsRune(s, ':') {
		return false
	}
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"on", "On", "ON", "off", "Off", "OFF":
		return true
	}
	return base60.MatchString(s)
}

var base60 = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)

// encode writes n in the house format: two-space indent, lists not indented
// under their key, as kubectl prints them.
func encode(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(512)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
