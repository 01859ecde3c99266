package netboxsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// checkConditions validates an event rule's conditions like NetBox's
// ConditionSet: a condition {attr, value, op, negate} or a set {"and"|"or":
// [...]}, nested.
func checkConditions(v any) error {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return errors.New("Conditions must be a dictionary.")
	}
	if len(m) == 1 {
		for k, sub := range m {
			if k == "and" || k == "or" {
				list, ok := sub.([]any)
				if !ok {
					return fmt.Errorf("%s must be a list of conditions", k)
				}
				for _, c := range list {
					if err := checkConditions(c); err != nil {
						return err
					}
				}
				return nil
			}
		}
	}
	attr, ok := m["attr"].(string)
	if !ok || attr == "" {
		return errors.New("A condition must specify an attribute (attr).")
	}
	if _, ok := m["value"]; !ok {
		return errors.New("A condition must specify a value.")
	}
	op, _ := m["op"].(string)
	switch op {
	case "", "eq", "gt", "gte", "lt", "lte", "in", "contains", "regex":
	default:
		return fmt.Errorf("Unknown operator: %s. Must be one of: eq, gt, gte, lt, lte, in, contains, regex", op)
	}
	if op == "regex" {
		if p, ok := m["value"].(string); !ok {
			return errors.New("regex conditions need a string value")
		} else if _, err := regexp.Compile(p); err != nil {
			return fmt.Errorf("invalid regex: %w", err)
		}
	}
	return nil
}

// evalConditions evaluates checked conditions against the event's data.
func evalConditions(v any, data any) bool {
	m, _ := v.(map[string]any)
	if list, ok := m["and"].([]any); ok && len(m) == 1 {
		for _, c := range list {
			if !evalConditions(c, data) {
				return false
			}
		}
		return true
	}
	if list, ok := m["or"].([]any); ok && len(m) == 1 {
		for _, c := range list {
			if evalConditions(c, data) {
				return true
			}
		}
		return false
	}
	attr, _ := m["attr"].(string)
	have := data
	for _, key := range strings.Split(attr, ".") {
		obj, ok := have.(map[string]any)
		if !ok {
			have = nil
			break
		}
		have = obj[key]
	}
	want := m["value"]
	op, _ := m["op"].(string)
	var res bool
	switch op {
	case "", "eq":
		res = jsonEqual(have, want)
	case "gt", "gte", "lt", "lte":
		a, aok := toFloat(have)
		b, bok := toFloat(want)
		if aok && bok {
			res = map[string]bool{"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]
		}
	case "in":
		if list, ok := want.([]any); ok {
			for _, it := range list {
				if jsonEqual(have, it) {
					res = true
				}
			}
		}
	case "contains":
		switch x := have.(type) {
		case string:
			if w, ok := want.(string); ok {
				res = strings.Contains(x, w)
			}
		case []any:
			for _, it := range x {
				if jsonEqual(it, want) {
					res = true
				}
			}
		}
	case "regex":
		if str, ok := have.(string); ok {
			res = regexp.MustCompile(want.(string)).MatchString(str)
		}
	}
	if neg, _ := m["negate"].(bool); neg {
		return !res
	}
	return res
}

func toFloat(v any) (float64, bool) {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func jsonEqual(a, b any) bool {
	fa, aok := toFloat(a)
	fb, bok := toFloat(b)
	if aok && bok {
		return fa == fb
	}
	return reflect.DeepEqual(a, b)
}

// toGeneric turns an ordered object into the maps json.Unmarshal gives.
func toGeneric(o object) any {
	b, err := encodeJSON(o, false)
	if err != nil {
		return nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return v
}
