package netboxsim

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

// field is one key of an ordered JSON object.
type field struct {
	k string
	v any
}

// object is a JSON object that keeps its key order, as a Python dict does.
type object []field

// obj builds an object from alternating keys and values.
func obj(kv ...any) object {
	o := make(object, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		o = append(o, field{kv[i].(string), kv[i+1]})
	}
	return o
}

// MarshalJSON lets encoding/json emit an object compactly and in order.
func (o object) MarshalJSON() ([]byte, error) {
	return encodeJSON(o, false)
}

// encodeJSON serializes v. With python set it reproduces Python's
// json.dumps defaults (separators ", " and ": ", ensure_ascii, float repr),
// which is how NetBox renders a webhook body; otherwise it is compact and
// keeps non-ASCII characters, like Django REST framework's renderer.
func encodeJSON(v any, python bool) ([]byte, error) {
	e := encoder{python: python}
	if err := e.value(v); err != nil {
		return nil, err
	}
	return []byte(e.b.String()), nil
}

// PythonJSON serializes v like Python's json.dumps with default arguments.
// Maps are written with sorted keys; use it on values decoded from JSON.
func PythonJSON(v any) ([]byte, error) { return encodeJSON(v, true) }

type encoder struct {
	b      strings.Builder
	python bool
}

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
		s, err := pyFloat(x)
		if err != nil {
			return err
		}
		e.b.WriteString(s)
	case json.Number:
		return e.number(x)
	case time.Time:
		e.str(pyISO(x))
	case object:
		e.b.WriteByte('{')
		for i, f := range x {
			if i > 0 {
				e.b.WriteString(e.sep())
			}
			e.str(f.k)
			e.b.WriteString(e.colon())
			if err := e.value(f.v); err != nil {
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
		o := make(object, 0, len(keys))
		for _, k := range keys {
			o = append(o, field{k, x[k]})
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
	case []object:
		a := make([]any, len(x))
		for i := range x {
			a[i] = x[i]
		}
		return e.value(a)
	case fieldErrors:
		m := make(map[string]any, len(x))
		for k, msgs := range x {
			m[k] = msgs
		}
		return e.value(m)
	default:
		// Anything else goes through encoding/json and back.
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("pyjson: %T: %w", v, err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var g any
		if err := dec.Decode(&g); err != nil {
			return fmt.Errorf("pyjson: %T: %w", v, err)
		}
		return e.value(g)
	}
	return nil
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

// pyISO formats t like Python's datetime.isoformat() on an aware UTC
// datetime: microseconds only when non-zero, offset +00:00.
func pyISO(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05+00:00")
	}
	return t.Format("2006-01-02T15:04:05.000000+00:00")
}

// drfTime formats t like Django REST framework's DateTimeField: isoformat
// with +00:00 written as Z.
func drfTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

// djangoTime formats t like DjangoJSONEncoder, which NetBox's snapshots use:
// microseconds cut to milliseconds, and Z for UTC.
func djangoTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}
