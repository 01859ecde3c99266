package nbwire_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/test/nbwire"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// TestPythonJSONVectors compares PythonJSON with json.dumps(sort_keys=True)
// on the vectors Python wrote in testdata/gen.py.
func TestPythonJSONVectors(t *testing.T) {
	t.Parallel()
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "pythonjson.jsonl")))
	n := 0
	for sc.Scan() {
		var vec struct{ In, Want string }
		if err := json.Unmarshal(sc.Bytes(), &vec); err != nil {
			t.Fatal(err)
		}
		n++
		dec := json.NewDecoder(strings.NewReader(vec.In))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		got, err := nbwire.PythonJSON(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != vec.Want {
			t.Errorf("PythonJSON(%s)\n got %s\nwant %s", vec.In, got, vec.Want)
		}
		// The same text through the token reformatter (json.RawMessage).
		got, err = nbwire.PythonJSON(json.RawMessage(vec.In))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(vec.In, "{") && string(got) != vec.Want {
			t.Errorf("PythonJSON(RawMessage(%s))\n got %s\nwant %s", vec.In, got, vec.Want)
		}
	}
	if n == 0 {
		t.Fatal("no vectors in testdata/pythonjson.jsonl")
	}
}

// TestPythonFloats compares float formatting with Python's repr.
func TestPythonFloats(t *testing.T) {
	t.Parallel()
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "pyfloat.txt")))
	n := 0
	for sc.Scan() {
		hexText, want, _ := strings.Cut(sc.Text(), " ")
		f, err := strconv.ParseFloat(hexText, 64)
		if err != nil {
			t.Fatalf("%s: %v", hexText, err)
		}
		n++
		got, err := nbwire.PythonJSON(f)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("PythonJSON(%v) = %s, want %s", f, got, want)
		}
	}
	if n == 0 {
		t.Fatal("no vectors in testdata/pyfloat.txt")
	}
}

func TestPythonJSONValues(t *testing.T) {
	t.Parallel()
	type inner struct {
		Z string  `json:"z"`
		A float64 `json:"a"`
	}
	id := int64(5)
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"object keeps order", nbwire.Object{{"z", 1}, {"a", nbwire.Object{{"y", nil}, {"b", true}}}}, `{"z": 1, "a": {"y": null, "b": true}}`},
		{"map sorted", map[string]any{"b": 1, "a": "é"}, `{"a": "\u00e9", "b": 1}`},
		{"typed map and slice", map[string][]int{"k": {1, 2}}, `{"k": [1, 2]}`},
		{"struct keeps field order", inner{Z: "<&>", A: 2}, `{"z": "<&>", "a": 2}`},
		{"pointer", &id, `5`},
		{"nil pointer", (*int64)(nil), `null`},
		{"nil slice", []string(nil), `null`},
		{"empty slice", []string{}, `[]`},
		{"floats", []any{1.0, math.NaN(), math.Inf(-1), float32(0.5)}, `[1.0, NaN, -Infinity, 0.5]`},
		{"json.Number as Python reads and writes it", json.Number("1.50"), `1.5`},
		{"int map keys", map[int]string{2: "b", 10: "a"}, `{"10": "a", "2": "b"}`},
		{"raw message", json.RawMessage(` { "b" : [ 1 , {} ] , "a" : "\u00e9" } `), `{"b": [1, {}], "a": "\u00e9"}`},
		{"invalid UTF-8", "a\xffb", `"a\ufffdb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := nbwire.PythonJSON(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPythonJSONErrors(t *testing.T) {
	t.Parallel()
	if _, err := nbwire.PythonJSON(map[string]any{"c": make(chan int)}); err == nil {
		t.Error("channel: want an error")
	}
	var deep any = "x"
	for range 1100 {
		deep = []any{deep}
	}
	if _, err := nbwire.PythonJSON(deep); err == nil {
		t.Error("1100 levels deep: want an error")
	}
}

func readFile(t testing.TB, name string) []byte { return testkit.Testdata(t, name) }
