package netboxsim

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// input reads the writable fields of a request body, collecting 400
// messages in DRF's words.
type input struct {
	m    map[string]any
	errs fieldErrors
}

func newInput(m map[string]any) *input { return &input{m: m, errs: fieldErrors{}} }

func (in *input) has(key string) bool {
	_, ok := in.m[key]
	return ok
}

// require reports the keys that must be present (create and PUT).
func (in *input) require(keys ...string) {
	for _, k := range keys {
		if !in.has(k) {
			in.errs.add(k, "This field is required.")
		}
	}
}

func (in *input) str(key string, dst *string, allowBlank bool) {
	v, ok := in.m[key]
	if !ok {
		return
	}
	switch x := v.(type) {
	case string:
		if x == "" && !allowBlank {
			in.errs.add(key, "This field may not be blank.")
			return
		}
		*dst = x
	case json.Number:
		*dst = x.String()
	case nil:
		if allowBlank {
			*dst = ""
			return
		}
		in.errs.add(key, "This field may not be null.")
	default:
		in.errs.add(key, "Not a valid string.")
	}
}

func (in *input) boolean(key string, dst *bool) {
	v, ok := in.m[key]
	if !ok {
		return
	}
	switch x := v.(type) {
	case bool:
		*dst = x
		return
	case string:
		switch strings.ToLower(x) {
		case "true", "1", "yes", "on":
			*dst = true
			return
		case "false", "0", "no", "off":
			*dst = false
			return
		}
	case json.Number:
		switch x.String() {
		case "1":
			*dst = true
			return
		case "0":
			*dst = false
			return
		}
	}
	in.errs.add(key, "Must be a valid boolean.")
}

func (in *input) integer(key string, dst *int) {
	v, ok := in.m[key]
	if !ok {
		return
	}
	n, ok := asInt(v)
	if !ok {
		in.errs.add(key, "A valid integer is required.")
		return
	}
	*dst = int(n)
}

// asInt accepts a JSON integer or a string of digits, as DRF does.
func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(x.String(), 10, 64)
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// choice reads a choice field given as a plain value (or, leniently, as
// the {"value", "label"} form NetBox reads back).
func (in *input) choice(key string, choices []choice, dst *string, allowBlank bool) {
	v, ok := in.m[key]
	if !ok {
		return
	}
	if m, isMap := v.(map[string]any); isMap {
		v = m["value"]
	}
	s, isStr := v.(string)
	if v == nil || (isStr && s == "" && allowBlank) {
		if allowBlank {
			*dst = ""
			return
		}
		in.errs.add(key, "This field may not be null.")
		return
	}
	if !isStr || choiceLabel(choices, s) == "" {
		in.errs.add(key, "%s is not a valid choice.", pyRepr(v))
		return
	}
	*dst = s
}

func (in *input) strList(key string, dst *[]string, allowEmpty bool) {
	v, ok := in.m[key]
	if !ok {
		return
	}
	list, isList := v.([]any)
	if !isList {
		in.errs.add(key, "Expected a list of items but got type \"%s\".", pyTypeName(v))
		return
	}
	out := make([]string, 0, len(list))
	for _, it := range list {
		s, isStr := it.(string)
		if !isStr {
			in.errs.add(key, "Not a valid string.")
			return
		}
		out = append(out, s)
	}
	if len(out) == 0 && !allowEmpty {
		in.errs.add(key, "This list may not be empty.")
		return
	}
	*dst = out
}

// objectTypes reads a list of "app_label.model" names.
func (in *input) objectTypes(key string, dst *[]string) {
	var list []string
	in.strList(key, &list, false)
	for _, ot := range list {
		app, model, ok := strings.Cut(ot, ".")
		if !ok || app == "" || model == "" || strings.ToLower(ot) != ot {
			in.errs.add(key, "Object type %q not found.", ot)
			return
		}
	}
	if list != nil {
		*dst = slices.Clone(list)
	}
}

// choice is a value and its label.
type choice struct{ value, label string }

func choiceLabel(choices []choice, v string) string {
	for _, c := range choices {
		if c.value == v {
			return c.label
		}
	}
	return ""
}

// choiceObj is how NetBox reads a choice field back.
func choiceObj(choices []choice, v string) any {
	if v == "" {
		return nil
	}
	l := choiceLabel(choices, v)
	if l == "" {
		l = v
	}
	return obj("value", v, "label", l)
}

// pyRepr quotes a value the way DRF's messages do ("\"x\" is not ...").
func pyRepr(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("\"%v\"", v)
}

// resolveFK reads a foreign key the way NetBox's related fields do: null,
// a numeric id, or a dictionary of attributes that must match exactly one
// object. It returns the id (0 for null) or a DRF message.
func resolveFK[T any](v any, table map[int64]*T, attrs func(*T) map[string]any) (int64, string) {
	if v == nil {
		return 0, ""
	}
	if m, ok := v.(map[string]any); ok {
		var found []int64
		for _, id := range sortedIDs(table) {
			have := attrs(table[id])
			match := len(m) > 0
			for k, want := range m {
				got, known := have[k]
				if !known || fmt.Sprint(got) != fmt.Sprint(want) {
					match = false
					break
				}
			}
			if match {
				found = append(found, id)
			}
		}
		switch len(found) {
		case 1:
			return found[0], ""
		case 0:
			return 0, "Related object not found using the provided attributes: " + pyDict(m)
		}
		return 0, "Multiple objects match the provided attributes: " + pyDict(m)
	}
	id, ok := asInt(v)
	if !ok {
		return 0, fmt.Sprintf("Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: %v", v)
	}
	if table[id] == nil {
		return 0, fmt.Sprintf("Related object not found using the provided numeric ID: %d", id)
	}
	return id, ""
}

// pyDict prints a dictionary like Python's repr, as NetBox's message does.
func pyDict(m map[string]any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "'%s': ", k)
		switch v := m[k].(type) {
		case string:
			fmt.Fprintf(&b, "'%s'", v)
		default:
			fmt.Fprintf(&b, "%v", v)
		}
	}
	b.WriteByte('}')
	return b.String()
}
