package crdschema

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// node is one compiled schema of a structural CRD schema.
type node struct {
	typ        string // object, array, string, integer, number, boolean; "" = any
	props      map[string]*node
	additional *node // additionalProperties as a schema
	// preserve: x-kubernetes-preserve-unknown-fields, fields outside
	// props are kept.
	preserve bool
	required []string
	items    *node
	nullable bool
	def      any // the default, as a JSON value; nil when there is none
	hasDef   bool
	enum     []any
	pattern  *regexp.Regexp
	format   string

	minimum, maximum *float64
	exclMin, exclMax bool
	minItems         *int64
	maxItems         *int64
	minLength        *int64
	maxLength        *int64
}

// ignoredKeywords change nothing the API server validates.
var ignoredKeywords = map[string]bool{"description": true, "title": true, "example": true, "externalDocs": true}

// compile turns one schema (a YAML value) into a node. at is its location
// in the CRD, for errors.
func compile(v any, at string) (*node, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be a mapping", at)
	}
	n := &node{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if ignoredKeywords[k] {
			continue
		}
		if err := n.set(k, m[k], at); err != nil {
			return nil, err
		}
	}
	if n.typ == "" && (n.props != nil || n.items != nil) {
		return nil, fmt.Errorf("%s: a structural schema needs a type", at)
	}
	if n.typ == "string" && n.format != "" {
		return nil, fmt.Errorf("%s: unsupported string format %q (this checker implements the keywords of the Hedgehog CRDs; see docs/fgd.md)", at, n.format)
	}
	return n, nil
}

// set applies one keyword.
func (n *node) set(k string, v any, at string) error {
	var err error
	switch k {
	case "type":
		s, _ := v.(string)
		switch s {
		case "object", "array", "string", "integer", "number", "boolean":
			n.typ = s
		default:
			return fmt.Errorf("%s: unsupported type %v", at, v)
		}
	case "properties":
		err = n.setProps(v, at)
	case "additionalProperties":
		err = n.setAdditional(v, at)
	case "required":
		n.required, err = stringList(v, at+".required")
	case "items":
		n.items, err = compile(v, at+".items")
	case "nullable":
		n.nullable = v == true
	case "default":
		n.def, n.hasDef = jsonValue(v), v != nil
	case "enum":
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s.enum: not a list", at)
		}
		for _, e := range list {
			n.enum = append(n.enum, jsonValue(e))
		}
	case "pattern":
		s, _ := v.(string)
		if n.pattern, err = regexp.Compile(s); err != nil {
			return fmt.Errorf("%s.pattern: %w", at, err)
		}
	case "format":
		// The API server checks formats of strings only (compile refuses
		// those); integer and number formats (int32, int64, double) are
		// documentation.
		n.format, _ = v.(string)
	case "x-kubernetes-preserve-unknown-fields":
		n.preserve = v == true
	default:
		return n.setBound(k, v, at)
	}
	return err
}

func (n *node) setProps(v any, at string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s.properties: not a mapping", at)
	}
	n.props = make(map[string]*node, len(m))
	for name, s := range m {
		c, err := compile(s, at+".properties."+name)
		if err != nil {
			return err
		}
		n.props[name] = c
	}
	return nil
}

func (n *node) setAdditional(v any, at string) error {
	m, ok := v.(map[string]any)
	if !ok {
		// A structural schema has no boolean additionalProperties.
		return fmt.Errorf("%s.additionalProperties: unsupported value %v (a schema is supported)", at, v)
	}
	c, err := compile(m, at+".additionalProperties")
	if err != nil {
		return err
	}
	n.additional = c
	return nil
}

// setBound applies the numeric keywords; any other keyword is refused.
func (n *node) setBound(k string, v any, at string) error {
	f, isNum := number(v)
	if !isNum && k != "exclusiveMinimum" && k != "exclusiveMaximum" {
		return fmt.Errorf("%s: unsupported schema keyword %q (this checker implements the keywords of the Hedgehog CRDs; see docs/fgd.md)", at, k)
	}
	count := int64(f)
	switch k {
	case "minimum":
		n.minimum = &f
	case "maximum":
		n.maximum = &f
	case "exclusiveMinimum":
		n.exclMin = v == true
	case "exclusiveMaximum":
		n.exclMax = v == true
	case "minItems":
		n.minItems = &count
	case "maxItems":
		n.maxItems = &count
	case "minLength":
		n.minLength = &count
	case "maxLength":
		n.maxLength = &count
	default:
		return fmt.Errorf("%s: unsupported schema keyword %q (this checker implements the keywords of the Hedgehog CRDs; see docs/fgd.md)", at, k)
	}
	return nil
}

func stringList(v any, at string) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a list", at)
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("%s: %v is not a string", at, e)
		}
		out = append(out, s)
	}
	return out, nil
}

// number reads a YAML number as float64.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// jsonValue converts a value decoded from YAML into the JSON value the
// API server holds: integers as int64, integral floats too, maps with
// string keys.
func jsonValue(v any) any {
	switch v := v.(type) {
	case int:
		return int64(v)
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v)
		}
		return float64(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			return int64(v)
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonValue(e)
		}
		return out
	}
	return v
}

// join builds a field path as the API server prints it: a.b, a[0], and
// a[key.with.dots] never (it prints map keys after a dot as they are).
func join(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

func index(parent string, i int) string {
	return fmt.Sprintf("%s[%d]", parent, i)
}

// quote prints a value in an error as the API server does for strings.
func quote(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return strings.TrimSpace(fmt.Sprint(v))
}
