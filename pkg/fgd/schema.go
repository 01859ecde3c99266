package fgd

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
)

// SchemaChecker validates a managed custom resource against the schema of
// its CustomResourceDefinition (pkg/crdschema implements it). obj is the
// resource as the engine writes it, as a JSON value: map[string]any,
// []any, string, int64, float64, bool or nil. known is false when there is
// no schema for the apiVersion and kind; problems are one line each
// ("spec.x: Invalid value: ..."), none when it is valid.
type SchemaChecker interface {
	Check(apiVersion, kind string, obj map[string]any) (known bool, problems []string)
}

// What the schema check said about a managed document (Document.Schema).
const (
	SchemaValid   = "valid"   // it matches its CRD's schema
	SchemaInvalid = "invalid" // it does not: it went to unmanaged/, Reason says why
	SchemaUnknown = "unknown" // no schema for its group and version: placed as before, Note says so
)

// maxReasonProblems is how many of a document's problems its Reason names.
const maxReasonProblems = 5

// checkSchema checks one normalized managed document. It returns the
// Document.Schema verdict and, for SchemaInvalid, the reason; for
// SchemaUnknown the note.
func checkSchema(sc SchemaChecker, cl classification, top *yaml.Node) (verdict, text string) {
	v, err := jsonOf(top)
	if err != nil {
		return SchemaInvalid, fmt.Sprintf("fails the %s schema of %s: %s", cl.kind, cl.apiVersion, err)
	}
	obj, _ := v.(map[string]any)
	known, problems := sc.Check(cl.apiVersion, cl.kind, obj)
	switch {
	case !known:
		return SchemaUnknown, fmt.Sprintf("not schema-checked: no schema for %s %s", cl.kind, cl.apiVersion)
	case len(problems) == 0:
		return SchemaValid, ""
	}
	shown := problems
	if len(shown) > maxReasonProblems {
		shown = append(shown[:maxReasonProblems:maxReasonProblems], fmt.Sprintf("and %d more", len(problems)-maxReasonProblems))
	}
	return SchemaInvalid, fmt.Sprintf("fails the %s schema of %s: %s", cl.kind, cl.apiVersion, oneLine(strings.Join(shown, "; ")))
}

// jsonOf converts a normalized document into the JSON value kubectl sends
// for the managed file the engine writes from it: sigs.k8s.io/yaml reads
// that file with YAML 1.1 rules (go.yaml.in/yaml/v2) and converts it to
// JSON, where an integral number is an integer. A string node stays a
// string (the engine quotes every string a YAML 1.1 reader would take for
// something else); other scalars are resolved as that reader resolves
// their text.
func jsonOf(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := jsonOf(n.Content[i])
			if err != nil {
				return nil, err
			}
			v, err := jsonOf(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[keyString(k)] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := jsonOf(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.ScalarNode:
		return scalarJSON(n)
	}
	return nil, fmt.Errorf("unexpected YAML node kind %d", n.Kind)
}

func scalarJSON(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary":
		return n.Value, nil // a YAML 1.1 reader keeps a timestamp as text
	case "!!null":
		return nil, nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true"), nil
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil && plainDecimal(n.Value) {
			return i, nil
		}
	case "!!float", "!!merge":
	default:
		return n.Value, nil // a custom tag: the text
	}
	var v any
	if err := yamlv2.Unmarshal([]byte(n.Value), &v); err != nil {
		return nil, fmt.Errorf("%q cannot be read as YAML 1.1: %s", n.Value, oneLine(err.Error()))
	}
	return number(v)
}

// number converts a YAML 1.1 scalar to JSON as sigs.k8s.io/yaml and the
// API server's JSON decoder do: integral numbers that fit are int64.
func number(v any) (any, error) {
	switch v := v.(type) {
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), nil
		}
		return float64(v), nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("%v is not a JSON number", v)
		}
		if v == math.Trunc(v) && v >= -(1<<63) && v < 1<<63 {
			return int64(v), nil
		}
		return v, nil
	}
	return v, nil
}

// plainDecimal reports whether s is an integer a YAML 1.1 reader reads as
// the same decimal number (no sign, no leading zero, no underscore).
func plainDecimal(s string) bool {
	if s == "" || len(s) > 18 || s[0] == '0' && len(s) > 1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// keyString is a mapping key as JSON has it.
func keyString(k any) string {
	switch k := k.(type) {
	case string:
		return k
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(k, 'g', -1, 32)
	}
	return fmt.Sprint(k)
}
