package crdschema

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// metaKinds are the JSON fields of metav1.ObjectMeta and what each decodes
// into; the API server decodes metadata strictly into that struct, so any
// other field is unknown and a value of another type fails the request.
var metaKinds = map[string]string{
	"name": "string", "generateName": "string", "namespace": "string", "selfLink": "string",
	"uid": "string", "resourceVersion": "string",
	"generation": "int", "deletionGracePeriodSeconds": "int",
	"creationTimestamp": "time", "deletionTimestamp": "time",
	"labels": "strmap", "annotations": "strmap",
	"finalizers": "strlist", "ownerReferences": "owners", "managedFields": "list",
}

// ownerKinds are the fields of metav1.OwnerReference.
var ownerKinds = map[string]string{
	"apiVersion": "string", "kind": "string", "name": "string", "uid": "string",
	"controller": "bool", "blockOwnerDeletion": "bool",
}

// decodeMeta reports what decoding metadata into ObjectMeta would refuse:
// values of the wrong type (the request fails) and unknown fields (strict
// validation fails).
func decodeMeta(md map[string]any) (bad, unknown []Problem) {
	for _, k := range sortedKeys(md) {
		p := "metadata." + k
		kind, ok := metaKinds[k]
		if !ok {
			unknown = append(unknown, unknownField(p))
			continue
		}
		if kind == "owners" {
			bad, unknown = decodeOwners(md[k], p, bad, unknown)
			continue
		}
		bad = decodeAs(md[k], kind, p, bad)
	}
	return bad, unknown
}

func decodeOwners(v any, p string, bad, unknown []Problem) ([]Problem, []Problem) {
	if v == nil {
		return bad, unknown
	}
	list, ok := v.([]any)
	if !ok {
		return append(bad, problem(p, "Invalid value: must be a list of owner references")), unknown
	}
	for i, e := range list {
		ip := index(p, i)
		if e == nil {
			continue
		}
		m, ok := e.(map[string]any)
		if !ok {
			bad = append(bad, problem(ip, "Invalid value: must be an owner reference object"))
			continue
		}
		for _, k := range sortedKeys(m) {
			kind, ok := ownerKinds[k]
			if !ok {
				unknown = append(unknown, unknownField(ip+"."+k))
				continue
			}
			bad = decodeAs(m[k], kind, ip+"."+k, bad)
		}
	}
	return bad, unknown
}

// decodeAs checks that v decodes into a Go value of kind (JSON null
// decodes into anything).
func decodeAs(v any, kind, p string, bad []Problem) []Problem {
	if v == nil {
		return bad
	}
	wrong := func(want string) []Problem {
		return append(bad, problem(p, fmt.Sprintf("Invalid value: %s: cannot be decoded as %s", jsonType(v), want)))
	}
	switch kind {
	case "string":
		if _, ok := v.(string); !ok {
			return wrong("a string")
		}
	case "bool":
		if _, ok := v.(bool); !ok {
			return wrong("a boolean")
		}
	case "int":
		if _, ok := v.(int64); !ok {
			return wrong("an integer")
		}
	case "time":
		s, ok := v.(string)
		if !ok {
			return wrong("a time")
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil && s != "" {
			return wrong("an RFC 3339 time")
		}
	case "strmap":
		m, ok := v.(map[string]any)
		if !ok {
			return wrong("a map of strings")
		}
		for _, k := range sortedKeys(m) {
			bad = decodeAs(m[k], "string", p+"."+k, bad)
		}
	case "strlist", "list":
		l, ok := v.([]any)
		if !ok {
			return wrong("a list")
		}
		for i, e := range l {
			if kind == "strlist" {
				bad = decodeAs(e, "string", index(p, i), bad)
			}
		}
	}
	return bad
}

// checkMeta is the API server's validation of a new namespaced object's
// metadata (ValidateObjectMeta with NameIsDNSSubdomain), on metadata that
// decoded cleanly.
func checkMeta(md map[string]any) []Problem {
	var out []Problem
	str := func(k string) string { s, _ := md[k].(string); return s }
	name, gen := str("name"), str("generateName")
	switch {
	case name == "" && gen == "":
		out = append(out, problem("metadata.name", "Required value: name or generateName is required"))
	case name != "" && !isDNSSubdomain(name):
		out = append(out, problem("metadata.name", fmt.Sprintf("Invalid value: %q: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", name)))
	}
	if gen != "" && !isDNSSubdomain(strings.TrimSuffix(gen, "-")+maskDash(gen)) {
		out = append(out, problem("metadata.generateName", fmt.Sprintf("Invalid value: %q: a lowercase RFC 1123 subdomain prefix", gen)))
	}
	if ns := str("namespace"); ns == "" {
		out = append(out, problem("metadata.namespace", "Required value"))
	} else if !dns1123Label.MatchString(ns) || len(ns) > 63 {
		out = append(out, problem("metadata.namespace", fmt.Sprintf("Invalid value: %q: a lowercase RFC 1123 label", ns)))
	}
	out = append(out, checkLabels(md["labels"])...)
	out = append(out, checkAnnotations(md["annotations"])...)
	out = append(out, checkFinalizers(md["finalizers"])...)
	return append(out, checkOwners(md["ownerReferences"])...)
}

// maskDash makes a generateName's trailing "-" valid, as the API server
// does for a prefix.
func maskDash(gen string) string {
	if strings.HasSuffix(gen, "-") {
		return "a"
	}
	return ""
}

func checkLabels(v any) []Problem {
	m, _ := v.(map[string]any)
	var out []Problem
	for _, k := range sortedKeys(m) {
		if !isQualifiedName(k) {
			out = append(out, problem("metadata.labels", fmt.Sprintf("Invalid value: %q: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", k)))
		}
		if s, _ := m[k].(string); !isLabelValue(s) {
			out = append(out, problem("metadata.labels", fmt.Sprintf("Invalid value: %q: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", s)))
		}
	}
	return out
}

// annotationsLimit is the API server's TotalAnnotationSizeLimitB.
const annotationsLimit = 256 * 1024

func checkAnnotations(v any) []Problem {
	m, _ := v.(map[string]any)
	var out []Problem
	total := 0
	for _, k := range sortedKeys(m) {
		if !isQualifiedName(strings.ToLower(k)) {
			out = append(out, problem("metadata.annotations", fmt.Sprintf("Invalid value: %q: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", k)))
		}
		s, _ := m[k].(string)
		total += len(k) + len(s)
	}
	if total > annotationsLimit {
		out = append(out, problem("metadata.annotations", fmt.Sprintf("Too long: may not be more than %d bytes", annotationsLimit)))
	}
	return out
}

func checkFinalizers(v any) []Problem {
	l, _ := v.([]any)
	var out []Problem
	has := map[string]bool{}
	for _, e := range l {
		s, _ := e.(string)
		has[s] = true
		if !isQualifiedName(s) {
			out = append(out, problem("metadata.finalizers", fmt.Sprintf("Invalid value: %q: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", s)))
		}
	}
	if has["orphan"] && has["foregroundDeletion"] {
		out = append(out, problem("metadata.finalizers", "Invalid value: \"foregroundDeletion\": finalizer foregroundDeletion and orphan cannot be both set"))
	}
	return out
}

func checkOwners(v any) []Problem {
	l, _ := v.([]any)
	var out []Problem
	controllers := 0
	for i, e := range l {
		m, _ := e.(map[string]any)
		p := index("metadata.ownerReferences", i)
		str := func(k string) string { s, _ := m[k].(string); return s }
		if av := str("apiVersion"); av == "" || strings.Count(av, "/") > 1 || strings.HasSuffix(av, "/") {
			out = append(out, problem(p+".apiVersion", fmt.Sprintf("Invalid value: %q: version must not be empty", av)))
		}
		for _, k := range []string{"kind", "name", "uid"} {
			if str(k) == "" {
				out = append(out, problem(p+"."+k, fmt.Sprintf("Invalid value: \"\": %s must not be empty", k)))
			}
		}
		if m["controller"] == true {
			controllers++
		}
	}
	if controllers > 1 {
		out = append(out, problem("metadata.ownerReferences", "Invalid value: only one reference can have Controller set to true"))
	}
	return out
}

var (
	dns1123Label     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	qualifiedName    = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
)

func isDNSSubdomain(s string) bool { return len(s) <= 253 && dns1123Subdomain.MatchString(s) }

// isQualifiedName is the API server's IsQualifiedName: an optional DNS
// subdomain prefix and "/", then a name of at most 63 characters.
func isQualifiedName(s string) bool {
	name := s
	if prefix, rest, ok := strings.Cut(s, "/"); ok {
		if prefix == "" || !isDNSSubdomain(prefix) {
			return false
		}
		name = rest
	}
	return name != "" && len(name) <= 63 && qualifiedName.MatchString(name)
}

func isLabelValue(s string) bool {
	return s == "" || len(s) <= 63 && qualifiedName.MatchString(s)
}
