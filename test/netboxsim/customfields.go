package netboxsim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// customFieldTypes are NetBox's custom field types and labels.
var customFieldTypes = []choice{
	{"text", "Text"}, {"longtext", "Text (long)"}, {"integer", "Integer"},
	{"decimal", "Decimal"}, {"boolean", "Boolean (true/false)"}, {"date", "Date"},
	{"datetime", "Date & time"}, {"url", "URL"}, {"json", "JSON"},
	{"select", "Selection"}, {"multiselect", "Multiple selection"},
	{"object", "Object"}, {"multiobject", "Multiple objects"},
}

var uiVisibleChoices = []choice{{"always", "Always"}, {"if-set", "If set"}, {"hidden", "Hidden"}}

var uiEditableChoices = []choice{{"yes", "Yes"}, {"no", "No"}, {"hidden", "Hidden"}}

var (
	dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	// datetimeRe is the form NetBox accepts for datetime custom fields;
	// Z is checked separately because 4.0 (Python's fromisoformat before
	// 3.11) refuses it.
	datetimeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}:\d{2}|Z)$`)
	cfNameRe   = regexp.MustCompile(`^[a-z0-9_]+$`)
)

func sortFields(cfs []*customField) {
	slices.SortFunc(cfs, func(a, b *customField) int {
		return cmp.Or(cmp.Compare(a.GroupName, b.GroupName), cmp.Compare(a.Weight, b.Weight), cmp.Compare(a.Name, b.Name))
	})
}

// cleanCustomFields validates a custom_fields write and returns the merged
// stored data: a write MERGES into existing (other fields are kept); on
// create every defined field starts at its default.
func (s *Server) cleanCustomFields(objectType string, raw any, existing map[string]any, create bool) (map[string]any, []string) {
	defined := s.data.fieldsFor(objectType)
	out := maps.Clone(existing)
	if out == nil {
		out = map[string]any{}
	}
	if create {
		for _, cf := range defined {
			if _, ok := out[cf.Name]; !ok {
				out[cf.Name] = cf.Default
			}
		}
	}
	if raw == nil {
		return out, nil
	}
	in, ok := raw.(map[string]any)
	if !ok {
		return nil, []string{"Invalid data format. Custom field data must be passed as a dictionary."}
	}
	var errs []string
	byName := map[string]*customField{}
	for _, cf := range defined {
		byName[cf.Name] = cf
	}
	for _, name := range slices.Sorted(maps.Keys(in)) {
		cf, ok := byName[name]
		if !ok {
			errs = append(errs, fmt.Sprintf("Unknown field name '%s' in custom field data.", name))
			continue
		}
		v, err := s.cleanValue(cf, in[name])
		if err != "" {
			errs = append(errs, fmt.Sprintf("Invalid value for custom field '%s': %s", name, err))
			continue
		}
		out[name] = v
	}
	for _, cf := range defined {
		if cf.Required && out[cf.Name] == nil {
			errs = append(errs, fmt.Sprintf("Required field '%s' cannot be empty.", cf.Name))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// cleanValue validates one custom field value and returns what is stored.
func (s *Server) cleanValue(cf *customField, v any) (any, string) {
	if v == nil {
		return nil, ""
	}
	str, isStr := v.(string)
	switch cf.Type {
	case "text", "longtext":
		if !isStr {
			return nil, "Value must be a string."
		}
		return str, ""
	case "integer":
		n, ok := v.(json.Number)
		if !ok || strings.ContainsAny(n.String(), ".eE") {
			return nil, "Value must be an integer."
		}
		return n, ""
	case "decimal":
		if n, ok := v.(json.Number); ok {
			return n, ""
		}
		if isStr {
			if _, err := json.Number(str).Float64(); err == nil {
				return json.Number(str), ""
			}
		}
		return nil, "Value must be a decimal."
	case "boolean":
		if b, ok := v.(bool); ok {
			return b, ""
		}
		return nil, "Value must be true or false."
	case "date":
		if !isStr || !dateRe.MatchString(str) {
			return nil, "Date values must be in ISO 8601 format (YYYY-MM-DD)."
		}
		if _, err := time.Parse(time.DateOnly, str); err != nil {
			return nil, "Date values must be in ISO 8601 format (YYYY-MM-DD)."
		}
		return str, ""
	case "datetime":
		const msg = "Date and time values must be in ISO 8601 format (YYYY-MM-DD HH:MM:SS)."
		if !isStr || !datetimeRe.MatchString(str) {
			return nil, msg
		}
		if strings.HasSuffix(str, "Z") && !s.ver.atLeast(1) {
			return nil, msg
		}
		norm := strings.Replace(str, " ", "T", 1)
		if _, err := time.Parse(time.RFC3339Nano, norm); err != nil {
			return nil, msg
		}
		return str, ""
	case "url":
		if !isStr {
			return nil, "URL values must be strings."
		}
		if u, err := url.Parse(str); err != nil || (u.Scheme == "" && !strings.HasPrefix(str, "/")) {
			return nil, "Enter a valid URL."
		}
		return str, ""
	case "json":
		return v, ""
	case "select":
		cs := s.data.choiceSets[cf.ChoiceSet]
		if !isStr || cs == nil {
			return nil, fmt.Sprintf("Invalid choice (%v) for choice set %s.", v, choiceSetName(cs))
		}
		if _, ok := cs.label(str); !ok {
			return nil, fmt.Sprintf("Invalid choice (%s) for choice set %s.", str, cs.Name)
		}
		return str, ""
	case "multiselect":
		cs := s.data.choiceSets[cf.ChoiceSet]
		list, ok := v.([]any)
		if !ok || cs == nil {
			return nil, "Value must be a list of choices."
		}
		out := make([]any, 0, len(list))
		for _, it := range list {
			s, ok := it.(string)
			if _, valid := cs.label(s); !ok || !valid {
				return nil, fmt.Sprintf("Invalid choice(s) (%v) for choice set %s.", it, cs.Name)
			}
			out = append(out, s)
		}
		return out, ""
	case "object":
		if _, ok := asInt(v); !ok {
			return nil, "Value must be an object ID."
		}
		return v, ""
	case "multiobject":
		list, ok := v.([]any)
		if !ok {
			return nil, "Value must be a list of object IDs."
		}
		for _, it := range list {
			if _, ok := asInt(it); !ok {
				return nil, "Value must be a list of object IDs."
			}
		}
		return v, ""
	}
	return v, ""
}

func choiceSetName(cs *choiceSet) string {
	if cs == nil {
		return "None"
	}
	return cs.Name
}

// restCustomFields is the custom_fields of a REST representation: every
// field defined for the object type, null when unset, selects as
// {"value", "label"} (unless PlainSelectValues).
func (s *Server) restCustomFields(objectType string, stored map[string]any) object {
	out := object{}
	for _, cf := range s.data.fieldsFor(objectType) {
		v := stored[cf.Name]
		if v != nil && !s.opts.PlainSelectValues {
			switch cf.Type {
			case "select":
				v = s.selectObj(cf, v)
			case "multiselect":
				if list, ok := v.([]any); ok {
					objs := make([]any, len(list))
					for i, it := range list {
						objs[i] = s.selectObj(cf, it)
					}
					v = objs
				}
			}
		}
		out = append(out, field{Key: cf.Name, Value: v})
	}
	return out
}

func (s *Server) selectObj(cf *customField, v any) any {
	str, _ := v.(string)
	label := str
	if cs := s.data.choiceSets[cf.ChoiceSet]; cs != nil {
		if l, ok := cs.label(str); ok {
			label = l
		}
	}
	return obj("value", v, "label", label)
}

// jsonbOrder returns stored custom field data in the key order PostgreSQL's
// jsonb gives it back (shorter keys first, then bytewise), which is the
// order NetBox's snapshots show.
func jsonbOrder(m map[string]any) object {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
	})
	out := make(object, 0, len(keys))
	for _, k := range keys {
		out = append(out, field{Key: k, Value: m[k]})
	}
	return out
}

// matchCustomFields applies the cf_<name>[__lookup]= filters of a list
// request. Unknown custom fields are ignored, as NetBox ignores unknown
// filters. A __n (not equal) filter keeps objects where the field is
// null, as Django's exclude() does.
func (s *Server) matchCustomFields(objectType string, stored map[string]any, q url.Values) bool {
	for key, vals := range q {
		if !strings.HasPrefix(key, "cf_") {
			continue
		}
		name, lookup, _ := strings.Cut(strings.TrimPrefix(key, "cf_"), "__")
		if s.data.fieldByName(objectType, name) == nil {
			continue
		}
		have, isNull := cfFilterValue(stored[name])
		switch lookup {
		case "":
			if isNull || !slices.Contains(vals, have) {
				return false
			}
		case "n":
			if !isNull && slices.Contains(vals, have) {
				return false
			}
		case "ic":
			if isNull || !slices.ContainsFunc(vals, func(v string) bool {
				return strings.Contains(strings.ToLower(have), strings.ToLower(v))
			}) {
				return false
			}
		case "ie":
			if isNull || !slices.ContainsFunc(vals, func(v string) bool { return strings.EqualFold(have, v) }) {
				return false
			}
		case "empty":
			want := strings.EqualFold(vals[0], "true")
			if (isNull || have == "") != want {
				return false
			}
		}
	}
	return true
}

func cfFilterValue(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, false
	case bool:
		if x {
			return "true", false
		}
		return "false", false
	case json.Number:
		return x.String(), false
	}
	b, _ := json.Marshal(v)
	return string(b), false
}
