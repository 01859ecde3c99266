package crdschema

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Problem is one reason a custom resource fails its schema: the field path
// as the API server prints it (spec.subnets.default.vlan, spec.links[0])
// and the message.
type Problem struct {
	Path    string
	Message string
	// Unknown marks a field the schema does not declare; its message
	// names the path itself, as the API server's does.
	Unknown bool
}

func (p Problem) String() string {
	if p.Path == "" || p.Unknown {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

func problem(path, msg string) Problem { return Problem{Path: path, Message: msg} }

func unknownField(path string) Problem {
	return Problem{Path: path, Message: fmt.Sprintf("unknown field %q", path), Unknown: true}
}

// unknownFields lists, sorted, the fields of v that the schema does not
// declare, as the API server's pruning finds them; strict field validation
// refuses the object for them. Like the pruning it looks at the value, not
// at the type the schema wants: the fields of a mapping where the schema has
// no properties (a string, say) are unknown too. The root's apiVersion,
// kind and metadata are the API server's own (metadata is checked by
// decodeMeta). n may be nil: no schema at all.
func unknownFields(v any, n *node, path string, root bool, out *[]Problem) {
	if n != nil && n.preserve {
		preservedFields(v, n, path, out)
		return
	}
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			if root && (k == "apiVersion" || k == "kind" || k == "metadata") {
				continue
			}
			p := join(path, k)
			switch {
			case n != nil && n.props[k] != nil:
				unknownFields(v[k], n.props[k], p, false, out)
			case n != nil && n.additional != nil:
				unknownFields(v[k], n.additional, p, false, out)
			default:
				*out = append(*out, unknownField(p))
			}
		}
	case []any:
		var items *node
		if n != nil {
			items = n.items
		}
		for i, e := range v {
			unknownFields(e, items, index(path, i), false, out)
		}
	}
}

// preservedFields is unknownFields below x-kubernetes-preserve-unknown-fields:
// undeclared fields are kept, declared ones are pruned as usual.
func preservedFields(v any, n *node, path string, out *[]Problem) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			switch {
			case n.props[k] != nil:
				unknownFields(v[k], n.props[k], join(path, k), false, out)
			case n.additional != nil:
				unknownFields(v[k], n.additional, join(path, k), false, out)
			}
		}
	case []any:
		if n.items == nil {
			return
		}
		for i, e := range v {
			preservedFields(e, n.items, index(path, i), out)
		}
	}
}

// validate checks v against n after the API server's null pruning and
// defaulting, collecting every problem below path.
func validate(v any, n *node, path string, out *[]Problem) {
	if v == nil {
		if !n.nullable {
			*out = append(*out, problem(path, fmt.Sprintf("Invalid value: \"null\": %s in body must be of type %s: \"null\"", path, n.typ)))
		}
		return
	}
	if !typeMatches(v, n.typ) {
		*out = append(*out, problem(path, fmt.Sprintf("Invalid value: %q: %s in body must be of type %s: %q", jsonType(v), path, n.typ, jsonType(v))))
		return
	}
	if len(n.enum) > 0 && !slices.ContainsFunc(n.enum, func(e any) bool { return equalJSON(e, v) }) {
		*out = append(*out, problem(path, fmt.Sprintf("Unsupported value: %s: supported values: %s", quote(v), enumList(n.enum))))
	}
	switch v := v.(type) {
	case map[string]any:
		validateObject(v, n, path, out)
	case []any:
		validateArray(v, n, path, out)
	case string:
		validateString(v, n, path, out)
	case int64:
		validateNumber(float64(v), quote(v), n, path, out)
	case float64:
		validateNumber(v, quote(v), n, path, out)
	}
}

func validateObject(v map[string]any, n *node, path string, out *[]Problem) {
	for _, r := range n.required {
		c := n.props[r]
		e, present := v[r]
		missing := !present || e == nil && c != nil && !c.nullable
		if missing && (c == nil || !c.hasDef) {
			*out = append(*out, problem(join(path, r), "Required value"))
		}
	}
	for _, k := range sortedKeys(v) {
		e := v[k]
		c := n.props[k]
		if c == nil {
			c = n.additional
		}
		if c == nil {
			continue // preserved unknown fields are not validated
		}
		if e == nil && !c.nullable {
			if !c.hasDef {
				continue // pruned: a null without a default is dropped
			}
			e = c.def
		}
		validate(e, c, join(path, k), out)
	}
	for _, k := range sortedPropKeys(n.props) {
		if c := n.props[k]; c.hasDef {
			if _, present := v[k]; !present {
				validate(c.def, c, join(path, k), out)
			}
		}
	}
}

func validateArray(v []any, n *node, path string, out *[]Problem) {
	if n.minItems != nil && int64(len(v)) < *n.minItems {
		*out = append(*out, problem(path, fmt.Sprintf("Invalid value: %d: %s in body should have at least %d items", len(v), path, *n.minItems)))
	}
	if n.maxItems != nil && int64(len(v)) > *n.maxItems {
		*out = append(*out, problem(path, fmt.Sprintf("Too many: %d: must have at most %d items", len(v), *n.maxItems)))
	}
	if n.items == nil {
		return
	}
	for i, e := range v {
		if e == nil && !n.items.nullable && n.items.hasDef {
			e = n.items.def
		}
		validate(e, n.items, index(path, i), out)
	}
}

func validateString(v string, n *node, path string, out *[]Problem) {
	if n.maxLength != nil && int64(utf8.RuneCountInString(v)) > *n.maxLength {
		*out = append(*out, problem(path, fmt.Sprintf("Too long: may not be more than %d bytes", *n.maxLength)))
	}
	if n.minLength != nil && int64(utf8.RuneCountInString(v)) < *n.minLength {
		*out = append(*out, problem(path, fmt.Sprintf("Invalid value: %q: %s in body should be at least %d chars long", v, path, *n.minLength)))
	}
	if n.pattern != nil && !n.pattern.MatchString(v) {
		*out = append(*out, problem(path, fmt.Sprintf("Invalid value: %q: %s in body should match '%s'", v, path, n.pattern)))
	}
}

func validateNumber(f float64, shown string, n *node, path string, out *[]Problem) {
	if m := n.maximum; m != nil && (f > *m || n.exclMax && f == *m) {
		*out = append(*out, problem(path, fmt.Sprintf("Invalid value: %s: %s in body should be less than or equal to %v", shown, path, *m)))
	}
	if m := n.minimum; m != nil && (f < *m || n.exclMin && f == *m) {
		*out = append(*out, problem(path, fmt.Sprintf("Invalid value: %s: %s in body should be greater than or equal to %v", shown, path, *m)))
	}
}

func typeMatches(v any, typ string) bool {
	switch typ {
	case "":
		return true
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		_, ok := v.(int64)
		return ok
	case "number":
		switch v.(type) {
		case int64, float64:
			return true
		}
	}
	return false
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case float64:
		return "number"
	}
	return "null"
}

func equalJSON(a, b any) bool {
	switch a := a.(type) {
	case int64:
		if f, ok := b.(float64); ok {
			return float64(a) == f
		}
	case float64:
		if i, ok := b.(int64); ok {
			return a == float64(i)
		}
	case map[string]any, []any:
		return fmt.Sprint(a) == fmt.Sprint(b)
	}
	return a == b
}

func enumList(enum []any) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		parts[i] = quote(e)
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortedPropKeys(m map[string]*node) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
