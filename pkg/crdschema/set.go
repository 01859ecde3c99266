package crdschema

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed crds/*.yaml
var builtin embed.FS

// BuiltinSource names the built-in schemas in reports and logs.
const BuiltinSource = "built-in Hedgehog CRDs (vpc.githedgehog.com, wiring.githedgehog.com v1beta1)"

// MaxProblems is how many problems Check returns at most for one object;
// a document with more gets a last line saying how many were left out.
const MaxProblems = 10

// Set is the compiled schemas of a set of CRDs, by group, version and kind.
type Set struct {
	source  string
	schemas map[gvk]*crd
}

type gvk struct{ group, version, kind string }

type crd struct {
	root       *node
	body       *node // root without metadata
	namespaced bool
}

// Builtin returns the schemas of the Hedgehog CRDs built into the binary.
func Builtin() (*Set, error) {
	sub, err := fs.Sub(builtin, "crds")
	if err != nil {
		return nil, err
	}
	return Load(sub, BuiltinSource)
}

// Load compiles every CustomResourceDefinition in the .yaml, .yml and
// .json files directly in fsys (other documents are skipped). source names
// the set in reports. It fails on a file that does not parse, a CRD without
// a schema for a served version, a schema keyword this checker does not
// implement, or no CRD at all: a set that would silently check less than it
// says is refused.
func Load(fsys fs.FS, source string) (*Set, error) {
	s := &Set{source: source, schemas: map[gvk]*crd{}}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("crdschema: %s: %w", source, err)
	}
	for _, e := range entries {
		ext := strings.ToLower(path.Ext(e.Name()))
		if e.IsDir() || ext != ".yaml" && ext != ".yml" && ext != ".json" {
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("crdschema: %w", err)
		}
		if err := s.add(b, e.Name()); err != nil {
			return nil, fmt.Errorf("crdschema: %s: %s: %w", source, e.Name(), err)
		}
	}
	if len(s.schemas) == 0 {
		return nil, fmt.Errorf("crdschema: %s: no CustomResourceDefinition found", source)
	}
	return s, nil
}

// add compiles the CRDs of one file.
func (s *Set) add(b []byte, name string) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if doc["kind"] != "CustomResourceDefinition" || !strings.HasPrefix(fmt.Sprint(doc["apiVersion"]), "apiextensions.k8s.io/") {
			continue
		}
		if err := s.addCRD(doc); err != nil {
			return err
		}
	}
}

func (s *Set) addCRD(doc map[string]any) error {
	spec, _ := doc["spec"].(map[string]any)
	names, _ := spec["names"].(map[string]any)
	group, _ := spec["group"].(string)
	kind, _ := names["kind"].(string)
	if group == "" || kind == "" {
		return errors.New("a CustomResourceDefinition without spec.group or spec.names.kind")
	}
	versions, _ := spec["versions"].([]any)
	for _, v := range versions {
		ver, _ := v.(map[string]any)
		vname, _ := ver["name"].(string)
		if ver["served"] != true {
			continue
		}
		sch, _ := ver["schema"].(map[string]any)
		raw, ok := sch["openAPIV3Schema"]
		if !ok {
			return fmt.Errorf("%s %s/%s: no openAPIV3Schema", kind, group, vname)
		}
		root, err := compile(raw, kind+" "+group+"/"+vname)
		if err != nil {
			return err
		}
		key := gvk{group, vname, kind}
		if _, dup := s.schemas[key]; dup {
			return fmt.Errorf("%s %s/%s is defined twice", kind, group, vname)
		}
		s.schemas[key] = &crd{root: root, body: withoutMetadata(root), namespaced: spec["scope"] != "Cluster"}
	}
	return nil
}

// Source names the set: BuiltinSource or the source given to Load.
func (s *Set) Source() string { return s.source }

// Kinds lists the schemas of the set as "group/version Kind", sorted.
func (s *Set) Kinds() []string {
	out := make([]string, 0, len(s.schemas))
	for k := range s.schemas {
		out = append(out, k.group+"/"+k.version+" "+k.kind)
	}
	slices.Sort(out)
	return out
}

// Check validates obj, a JSON value (map[string]any, []any, string, int64,
// float64, bool, nil), as the API server validates the create of a custom
// resource of apiVersion and kind with strict field validation. known is
// false when the set has no schema for that group, version and kind. The
// problems are those the API server would answer: malformed metadata; else
// the unknown fields; else every schema and metadata violation. At most
// MaxProblems are returned, the last one then saying how many more there
// were.
func (s *Set) Check(apiVersion, kind string, obj map[string]any) (known bool, problems []string) {
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok {
		group, version = "", apiVersion
	}
	c := s.schemas[gvk{group, version, kind}]
	if c == nil {
		return false, nil
	}
	return true, render(c.check(obj))
}

func (c *crd) check(obj map[string]any) []Problem {
	md, _ := obj["metadata"].(map[string]any)
	bad, unknown := decodeMeta(md)
	if len(bad) > 0 {
		return bad
	}
	unknownFields(obj, c.root, "", true, &unknown)
	if len(unknown) > 0 {
		return unknown
	}
	var out []Problem
	if c.namespaced {
		out = checkMeta(md)
	} else {
		out = checkClusterMeta(md)
	}
	rest := make(map[string]any, len(obj))
	for k, v := range obj {
		if k != "metadata" {
			rest[k] = v
		}
	}
	validate(rest, c.body, "", &out)
	return out
}

// withoutMetadata is the root schema without metadata, which checkMeta
// validates as the API server does.
func withoutMetadata(root *node) *node {
	body := *root
	body.props = make(map[string]*node, len(root.props))
	for k, v := range root.props {
		if k != "metadata" {
			body.props[k] = v
		}
	}
	body.required = slices.DeleteFunc(slices.Clone(root.required), func(r string) bool { return r == "metadata" })
	return &body
}

// checkClusterMeta is checkMeta for a cluster-scoped kind: a namespace is
// not allowed.
func checkClusterMeta(md map[string]any) []Problem {
	var out []Problem
	for _, p := range checkMeta(md) {
		if p.Path != "metadata.namespace" {
			out = append(out, p)
		}
	}
	if ns, _ := md["namespace"].(string); ns != "" {
		out = append(out, problem("metadata.namespace", "Forbidden: not allowed on this type"))
	}
	return out
}

func render(ps []Problem) []string {
	out := make([]string, 0, min(len(ps), MaxProblems+1))
	for i, p := range ps {
		if i == MaxProblems {
			out = append(out, fmt.Sprintf("and %d more", len(ps)-MaxProblems))
			break
		}
		out = append(out, p.String())
	}
	return out
}
