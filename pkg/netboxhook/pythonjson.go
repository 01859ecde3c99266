package netboxhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Object is a JSON object whose keys keep their order. NetBox builds its
// payload from Python dicts, which keep insertion order, and json.dumps does
// not sort keys; use Object where the order of keys matters.
type Object []Member

// Member is one key of an Object.
type Member struct {
	Key   string
	Value any
}

// MarshalJSON encodes o with Go's separators, keeping the key order.
func (o Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.Key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.Value)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", m.Key, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// PythonJSON encodes v exactly as Python's json.dumps(v) with default
// arguments does, which is how NetBox renders a webhook body: separators
// ", " and ": ", every non-ASCII character escaped as \uXXXX (lower-case
// hex, surrogate pairs above U+FFFF), "/" and "<>&" not escaped, floats in
// Python's repr form (1.0, 1e-05, 1e+16, NaN, Infinity).
//
// Key order: an Object keeps its order (NetBox's dicts are insertion
// ordered); a Go map is written with its keys sorted, as encoding/json does,
// which is what json.dumps(sort_keys=True) would give. Structs and other
// json.Marshaler values are first encoded by encoding/json and then
// reformatted token by token, so their field order is kept but their
// floats are in Go's form.
//
// Supported directly: nil, bool, string, every integer type, float32/64,
// json.Number (written as is), json.RawMessage, Object, maps with string
// keys, slices and arrays, and pointers to these.
func PythonJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := writePy(&b, v, 0); err != nil {
		return nil, fmt.Errorf("netboxhook: python json: %w", err)
	}
	return b.Bytes(), nil
}

// maxDepth bounds recursion on cyclic or absurdly deep values.
const maxDepth = 1000

func writePy(b *bytes.Buffer, v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nesting deeper than %d", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		writePyString(b, x)
	case json.Number:
		if x == "" {
			b.WriteString("0")
		} else {
			b.WriteString(string(x))
		}
	case float64:
		b.WriteString(pyFloat(x, 64))
	case float32:
		b.WriteString(pyFloat(float64(x), 32))
	case int:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int32:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case Object:
		b.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyString(b, m.Key)
			b.WriteString(": ")
			if err := writePy(b, m.Value, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyString(b, k)
			b.WriteString(": ")
			if err := writePy(b, x[k], depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := writePy(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case json.RawMessage:
		return reformat(b, x)
	default:
		return writePyReflect(b, v, depth)
	}
	return nil
}

func writePyReflect(b *bytes.Buffer, v any, depth int) error {
	if _, ok := v.(json.Marshaler); ok {
		return writeViaMarshal(b, v)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		return writePy(b, rv.Elem().Interface(), depth+1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(rv.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(rv.Uint(), 10))
	case reflect.Float32:
		b.WriteString(pyFloat(rv.Float(), 32))
	case reflect.Float64:
		b.WriteString(pyFloat(rv.Float(), 64))
	case reflect.String:
		writePyString(b, rv.String())
	case reflect.Bool:
		return writePy(b, rv.Bool(), depth)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			// encoding/json writes []byte as base64; so do we.
			return writeViaMarshal(b, v)
		}
		b.WriteByte('[')
		for i := range rv.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := writePy(b, rv.Index(i).Interface(), depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return writeViaMarshal(b, v)
		}
		if rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		keys := rv.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyString(b, k.String())
			b.WriteString(": ")
			if err := writePy(b, rv.MapIndex(k).Interface(), depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return writeViaMarshal(b, v)
	}
	return nil
}

func writeViaMarshal(b *bytes.Buffer, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return reformat(b, raw)
}

// reformat rewrites compact or indented JSON with Python's separators and
// escaping, keeping the key order and the number text.
func reformat(b *bytes.Buffer, raw []byte) error {
	type frame struct {
		object    bool
		n         int  // members written so far
		wantValue bool // in an object: a key was written, its value is next
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var stack []frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) && len(stack) == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			b.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) > 0 {
			f := &stack[len(stack)-1]
			switch {
			case f.object && f.wantValue:
				b.WriteString(": ")
				f.wantValue = false
			case f.object:
				if f.n > 0 {
					b.WriteString(", ")
				}
				f.n++
				f.wantValue = true
				writePyString(b, tok.(string)) // keys are strings
				continue
			default:
				if f.n > 0 {
					b.WriteString(", ")
				}
				f.n++
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			b.WriteByte(byte(t))
			stack = append(stack, frame{object: t == '{'})
		case string:
			writePyString(b, t)
		case json.Number:
			b.WriteString(string(t))
		case bool:
			if t {
				b.WriteString("true")
			} else {
				b.WriteString("false")
			}
		case nil:
			b.WriteString("null")
		}
	}
}

// writePyString writes s as json.dumps(ensure_ascii=True) does.
func writePyString(b *bytes.Buffer, s string) {
	const hexdigits = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				b.WriteString(`\"`)
			case c == '\\':
				b.WriteString(`\\`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\b':
				b.WriteString(`\b`)
			case c == '\f':
				b.WriteString(`\f`)
			case c < 0x20 || c == 0x7f:
				b.WriteString(`\u00`)
				b.WriteByte(hexdigits[c>>4])
				b.WriteByte(hexdigits[c&0xf])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		// Invalid UTF-8 decodes as U+FFFD, which is what Python would hold
		// after decoding the same bytes with errors="replace".
		if r > 0xffff {
			r -= 0x10000
			writeU(b, 0xd800+(r>>10))
			writeU(b, 0xdc00+(r&0x3ff))
			continue
		}
		writeU(b, r)
	}
	b.WriteByte('"')
}

func writeU(b *bytes.Buffer, r rune) {
	const hexdigits = "0123456789abcdef"
	b.WriteString(`\u`)
	b.WriteByte(hexdigits[(r>>12)&0xf])
	b.WriteByte(hexdigits[(r>>8)&0xf])
	b.WriteByte(hexdigits[(r>>4)&0xf])
	b.WriteByte(hexdigits[r&0xf])
}

// pyFloat formats f as Python's float repr: the shortest text that reads
// back as the same value, in fixed notation when the decimal exponent is in
// [-4, 16) (always with a fractional part), else in scientific notation
// with a signed exponent of at least two digits.
func pyFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, bits) // -d.ddde±xx
	neg := strings.HasPrefix(e, "-")
	e = strings.TrimPrefix(e, "-")
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp >= -4 && exp < 16 {
		if exp >= 0 {
			if len(digits) <= exp+1 {
				out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
			} else {
				out = digits[:exp+1] + "." + digits[exp+1:]
			}
		} else {
			out = "0." + strings.Repeat("0", -exp-1) + digits
		}
	} else {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		out = fmt.Sprintf("%se%s%02d", m, sign, exp)
	}
	if neg {
		out = "-" + out
	}
	return out
}
