package crdschema

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// patternSamples are strings matching each pattern of the CRDs; a pattern
// missing here fails TestEveryConstraintAgainstTheReference.
var patternSamples = map[string]string{
	`^((25[0-5]|(2[0-4]|1\d|[1-9]|)\d)\.?\b){4}/([1-2]?[0-9]|3[0-2])$`: "10.0.0.1/31",
	`^((25[0-5]|(2[0-4]|1\d|[1-9]|)\d)\.?\b){4}$`:                      "10.0.0.1",
}

// step is one step of a field path: a key, or (item) the first item.
type step struct {
	key  string
	item bool
}

// sample is a minimal valid value of n: the required fields, the first
// enum value, a matching string, a number within the bounds.
func sample(t *testing.T, n *node) any {
	if len(n.enum) > 0 {
		return n.enum[0]
	}
	switch n.typ {
	case "object":
		m := map[string]any{}
		for _, r := range n.required {
			c := n.props[r]
			if c == nil {
				c = n.additional
			}
			if c == nil {
				m[r] = "x"
				continue
			}
			m[r] = sample(t, c)
		}
		return m
	case "array":
		list := []any{}
		if n.minItems != nil && n.items != nil {
			for range *n.minItems {
				list = append(list, sample(t, n.items))
			}
		}
		return list
	case "string":
		if n.pattern != nil {
			s, ok := patternSamples[n.pattern.String()]
			if !ok {
				t.Fatalf("no sample for pattern %s", n.pattern)
			}
			return s
		}
		return "x"
	case "integer":
		if n.minimum != nil {
			return int64(*n.minimum)
		}
		if n.maximum != nil && *n.maximum < 0 {
			return int64(*n.maximum)
		}
		return int64(0)
	case "number":
		return 0.5
	case "boolean":
		return true
	}
	return "x"
}

// remove is the leaf value that deletes the field.
type remove struct{}

// build returns a valid value of n with leaf at the end of steps.
func build(t *testing.T, n *node, steps []step, leaf any) any {
	if len(steps) == 0 {
		return leaf
	}
	s := steps[0]
	if s.item {
		list := []any{build(t, n.items, steps[1:], leaf)}
		if n.minItems != nil {
			for int64(len(list)) < *n.minItems {
				list = append(list, sample(t, n.items))
			}
		}
		return list
	}
	m := sample(t, n).(map[string]any)
	c := n.props[s.key]
	if c == nil {
		c = n.additional
	}
	v := build(t, c, steps[1:], leaf)
	if _, del := v.(remove); del {
		delete(m, s.key)
	} else {
		m[s.key] = v
	}
	return m
}

// genCase is one generated object and what it tests.
type genCase struct {
	name       string
	obj        map[string]any
	mustRefuse bool
}

// mutations lists the cases of the field at steps, whose schema is n.
func mutations(t *testing.T, root *node, steps []step, n *node, name string) []genCase {
	var out []genCase
	add := func(what string, leaf any, refuse bool) {
		out = append(out, genCase{name: name + " " + what, obj: build(t, root, steps, leaf).(map[string]any), mustRefuse: refuse})
	}
	add("valid", sample(t, n), false)
	add("null", nil, false)
	wrong := map[string]any{"string": int64(12345), "integer": "x", "number": "x", "boolean": "x", "object": "x", "array": "x"}
	add("wrong type", wrong[n.typ], true)
	if n.typ == "integer" {
		add("fraction", 1.5, true)
		add("string digits", "7", true)
	}
	if n.typ == "boolean" {
		add("string true", "true", true)
	}
	if len(n.enum) > 0 {
		add("not in enum", "not-in-the-enum", true)
		add("enum value in upper case", strings.ToUpper(fmt.Sprint(n.enum[len(n.enum)-1])), true)
	}
	if n.pattern != nil {
		add("pattern mismatch", "not-an-address", true)
		add("pattern near miss", "9"+patternSamples[n.pattern.String()], true)
	}
	if n.maximum != nil {
		add("over the maximum", int64(*n.maximum)+1, true)
		add("at the maximum", int64(*n.maximum), false)
	}
	if n.minimum != nil {
		add("under the minimum", int64(*n.minimum)-1, true)
	}
	if n.maxItems != nil && n.items != nil {
		list := []any{}
		for range *n.maxItems + 1 {
			list = append(list, sample(t, n.items))
		}
		add("too many items", list, true)
	}
	if n.minItems != nil && *n.minItems > 0 {
		add("too few items", []any{}, true)
	}
	if n.typ == "object" {
		m := sample(t, n).(map[string]any)
		if !n.preserve && n.additional == nil {
			m["zzUnknownField"] = "x"
			add("unknown field", m, true)
		}
		for _, r := range n.required {
			m := sample(t, n).(map[string]any)
			delete(m, r)
			add("without required "+r, m, true)
			m = sample(t, n).(map[string]any)
			m[r] = nil
			add("required "+r+" null", m, n.props[r] == nil || !n.props[r].hasDef)
		}
	}
	return out
}

// walk visits every field of n below steps.
func walk(n *node, steps []step, name string, visit func([]step, *node, string)) {
	if len(steps) > 0 {
		visit(steps, n, name)
	}
	for _, k := range sortedPropKeys(n.props) {
		walk(n.props[k], append(slices.Clone(steps), step{key: k}), join(name, k), visit)
	}
	if n.additional != nil {
		walk(n.additional, append(slices.Clone(steps), step{key: "key1"}), join(name, "key1"), visit)
	}
	if n.items != nil {
		walk(n.items, append(slices.Clone(steps), step{item: true}), name+"[0]", visit)
	}
}

// TestEveryConstraintAgainstTheReference generates, for every field of
// every built-in schema, a valid value, a null, a value of the wrong type,
// and a violation of each enum, pattern, bound, item count, required field
// and closed object (an unknown field); the reference implementation and
// this package must give the same verdict and name the same field paths,
// and the reference must refuse every case meant to fail.
func TestEveryConstraintAgainstTheReference(t *testing.T) {
	t.Parallel()
	ref, s := builtinReference(t), mustBuiltin(t)
	counts := map[string]int{}
	for _, kind := range s.Kinds() {
		gv, k, _ := strings.Cut(kind, " ")
		c := s.schemas[gvkOf(gv, k)]
		walk(c.root, nil, "", func(steps []step, n *node, name string) {
			switch steps[0].key {
			case "status", "metadata", "apiVersion", "kind":
				return // status is dropped on create; the rest is the API server's own
			}
			for _, gc := range mutations(t, c.root, steps, n, name) {
				gc.obj["apiVersion"], gc.obj["kind"] = gv, k
				gc.obj["metadata"] = map[string]any{"name": "x", "namespace": "default"}
				js, err := json.Marshal(gc.obj)
				if err != nil {
					t.Fatal(err)
				}
				refused := compare(t, ref, s, js)
				if gc.mustRefuse && !refused {
					t.Errorf("%s %s: the reference accepts a case meant to fail: %s", kind, gc.name, js)
				}
				what := gc.name[strings.LastIndexByte(gc.name, ' ')+1:]
				counts[what]++
			}
		})
	}
	t.Logf("generated cases by last word: %v", counts)
}
