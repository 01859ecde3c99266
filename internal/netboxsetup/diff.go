package netboxsetup

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	"github.com/githedgehog/hnp-gitops/internal/netbox"
)

// setFields are lists whose order does not matter. object_types may hold
// more types than the service needs (a user may share a field): the wanted
// ones must be present, others are kept.
var setFields = map[string]bool{"object_types": true, "event_types": true}

// diff returns the fields of sp that obj does not have as wanted, with the
// value to PATCH.
func diff(sp spec, obj netbox.Object) map[string]any {
	changed := map[string]any{}
	for key, want := range sp.fields {
		have, present := obj[key]
		if !present && key == "secret" {
			// A NetBox that does not serve the secret cannot be compared;
			// leave it as it is rather than rewrite it on every run.
			continue
		}
		switch {
		case key == "object_types":
			if missing := missingFrom(want, have); len(missing) > 0 {
				changed[key] = union(have, want)
			}
		case setFields[key]:
			if !sameSet(want, have) {
				changed[key] = want
			}
		case key == "choice_set":
			if nestedName(want) != nestedName(have) {
				changed[key] = want
			}
		default:
			if !reflect.DeepEqual(norm(want), norm(have)) {
				changed[key] = want
			}
		}
	}
	return changed
}

// norm brings a wanted or a read value to one form: choices {value, label}
// become their value, numbers float64, lists []any.
func norm(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if val, ok := x["value"]; ok {
			if _, ok := x["label"]; ok {
				return norm(val)
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = norm(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = norm(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return v
}

// strs gives the normalized string members of a list.
func strs(v any) []string {
	l, _ := norm(v).([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

func sameSet(want, have any) bool {
	w, h := strs(want), strs(have)
	if _, isList := norm(have).([]any); !isList {
		return false
	}
	sort.Strings(w)
	sort.Strings(h)
	return reflect.DeepEqual(w, h)
}

func missingFrom(want, have any) []string {
	in := map[string]bool{}
	for _, s := range strs(have) {
		in[s] = true
	}
	var missing []string
	for _, s := range strs(want) {
		if !in[s] {
			missing = append(missing, s)
		}
	}
	return missing
}

// union keeps the order of have and appends what is wanted and missing.
func union(have, want any) []any {
	out := []any{}
	seen := map[string]bool{}
	for _, s := range append(strs(have), strs(want)...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// nestedName reads the name of a nested reference ({"id", "name", ...}).
func nestedName(v any) string {
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["name"].(string); ok {
			return s
		}
	}
	return ""
}

// describe shows a (choice) value in a conflict message.
func describe(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(norm(v))
}
