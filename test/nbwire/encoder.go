package nbwire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Field is one key of an ordered JSON object.
type Field struct {
	Key   string
	Value any
}

// Object is a JSON object that keeps its key order, as a Python dict does.
type Object []Field

// Obj builds an Object from alternating keys and values.
func Obj(kv ...any) Object {
	o := make(Object, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		o = append(o, Field{kv[i].(string), kv[i+1]})
	}
	return o
}

// MarshalJSON lets encoding/json emit an Object compactly and in order.
func (o Object) MarshalJSON() ([]byte, error) {
	return Encode(o, false)
}

// Encode serializes v. With python set it reproduces Python's
// json.dumps defaults (separators ", " and ": ", ensure_ascii, float repr),
// which is how NetBox renders a webhook body; otherwise it is compact and
// keeps non-ASCII characters, like Django REST framework's renderer.
func Encode(v any, python bool) ([]byte, error) {
	e := encoder{python: python}
	if err := e.value(v); err != nil {
		return nil, err
	}
	return []byte(e.b.String()), nil
}

// PythonJSON serializes v like Python's json.dumps with default arguments,
// which is how NetBox renders a webhook body. Maps are written with sorted
// keys; an Object keeps its order.
func PythonJSON(v any) ([]byte, error) { return Encode(v, true) }

type encoder struct {
	b      strings.Builder
	python bool
	depth  int
}

// maxDepth bounds nesting, against cyclic or absurd values.
const maxDepth = 1000

func (e *encoder) sep() string {
	if e.python {
		return ", "
	}
	return ","
}

func (e *encoder) colon() string {
	if e.python {
		return ": "
	}
	return ":"
}

func (e *encoder) value(v any) error {
	if e.depth++; e.depth > maxDepth {
		return fmt.Errorf("pyjson: nested more than %d levels", maxDepth)
	}
	defer func() { e.depth-- }()
	if isNilSlice(v) {
		e.b.WriteString("null")
		return nil
	}
	switch x := v.(type) {
	case nil:
		e.b.WriteString("null")
	case bool:
		if x {
			e.b.WriteString("true")
		} else {
			e.b.WriteString("false")
		}
	case string:
		e.str(x)
	case int:
		e.b.WriteString(strconv.Itoa(x))
	case int64:
		e.b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		return e.float(x)
	case json.Number:
		return e.number(x)
	case time.Time:
		e.str(ISOTime(x))
	case Object:
		e.b.WriteByte('{')
		for i, f := range x {
			if i > 0 {
				e.b.WriteString(e.sep())
			}
			e.str(f.Key)
			e.b.WriteString(e.colon())
			if err := e.value(f.Value); err != nil {
				return err
			}
		}
		e.b.WriteByte('}')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		o := make(Object, 0, len(keys))
		for _, k := range keys {
			o = append(o, Field{k, x[k]})
		}
		return e.value(o)
	case []any:
		e.b.WriteByte('[')
		for i, it := range x {
			if i > 0 {
				e.b.WriteString(e.sep())
			}
			if err := e.value(it); err != nil {
				return err
			}
		}
		e.b.WriteByte(']')
	case []string:
		a := make([]any, len(x))
		for i := range x {
			a[i] = x[i]
		}
		return e.value(a)
	case []int64:
		a := make([]any, len(x))
		for i := range x {
			a[i] = x[i]
		}
		return e.value(a)
	case []Object:
		a := make([]any, len(x))
		for i := range x {
			a[i] = x[i]
		}
		return e.value(a)
	default:
		// Anything else (structs, raw JSON, typed maps) goes through
		// encoding/json and back, keeping the order of its keys.
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("pyjson: %T: %w", v, err)
		}
		g, err := decodeOrdered(json.NewDecoder(bytes.NewReader(b)))
		if err != nil {
			return fmt.Errorf("pyjson: %T: %w", v, err)
		}
		return e.value(g)
	}
	return nil
}

// float writes f as Python's repr; NaN and the infinities as Python's
// json.dumps writes them (DRF's strict renderer refuses them).
func (e *encoder) float(f float64) error {
	if e.python && (math.IsNaN(f) || math.IsInf(f, 0)) {
		switch {
		case math.IsNaN(f):
			e.b.WriteString("NaN")
		case f > 0:
			e.b.WriteString("Infinity")
		default:
			e.b.WriteString("-Infinity")
		}
		return nil
	}
	s, err := pyFloat(f)
	if err != nil {
		return err
	}
	e.b.WriteString(s)
	return nil
}

// isNilSlice reports a nil slice of a type the encoder writes directly,
// which Python would have as None.
func isNilSlice(v any) bool {
	switch x := v.(type) {
	case []any:
		return x == nil
	case []string:
		return x == nil
	case []int64:
		return x == nil
	case []Object:
		return x == nil
	}
	return false
}

// decodeOrdered reads one JSON value with objects as Objects, in the order
// of their keys, and numbers as json.Number.
func decodeOrdered(dec *json.Decoder) (any, error) {
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := Object{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			o = append(o, Field{k.(string), v})
		}
		_, err = dec.Token()
		return o, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err = dec.Token()
		return a, err
	}
	return tok, nil
}

// number writes a decoded JSON number as Python would after json.loads:
// integers unchanged, anything with a fraction or exponent as a float repr.
func (e *encoder) number(n json.Number) error {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		e.b.WriteString(s)
		return nil
	}
	f, err := n.Float64()
	if err != nil {
		return fmt.Errorf("pyjson: number %q: %w", s, err)
	}
	out, err := pyFloat(f)
	if err != nil {
		return err
	}
	e.b.WriteString(out)
	return nil
}

// pyFloat formats f like Python's float repr: the shortest round-trip
// digits, positional for exponents in [-4, 16), always with a fraction or
// an exponent.
func pyFloat(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("pyjson: %v is not valid JSON", f)
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0", nil
		}
		return "0.0", nil
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp), nil
	}
	out := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(out, ".") {
		out += ".0"
	}
	return out, nil
}

func (e *encoder) str(s string) {
	e.b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			e.b.WriteString(`\"`)
		case r == '\\':
			e.b.WriteString(`\\`)
		case r == '\n':
			e.b.WriteString(`\n`)
		case r == '\r':
			e.b.WriteString(`\r`)
		case r == '\t':
			e.b.WriteString(`\t`)
		case r == '\b':
			e.b.WriteString(`\b`)
		case r == '\f':
			e.b.WriteString(`\f`)
		case r < 0x20 || (r == 0x7f && e.python):
			fmt.Fprintf(&e.b, `\u%04x`, r)
		case r < utf8.RuneSelf || !e.python:
			e.b.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&e.b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&e.b, `\u%04x`, r)
		}
	}
	e.b.WriteByte('"')
}

// ISOTime formats t like Python's datetime.isoformat() on an aware UTC
// datetime: microseconds only when non-zero, offset +00:00.
func ISOTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05+00:00")
	}
	return t.Format("2006-01-02T15:04:05.000000+00:00")
}

// DRFTime formats t like Django REST framework's DateTimeField: isoformat
// with +00:00 written as Z.
func DRFTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

// DjangoTime formats t like DjangoJSONEncoder, which NetBox's snapshots use:
// microseconds cut to milliseconds, and Z for UTC.
func DjangoTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}
