package fgd

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestHostileInputs: files built to exhaust the parser are moved whole to
// unmanaged/ (or, for a file of markers, dropped as empty) within bounded
// time at the default limits.
func TestHostileInputs(t *testing.T) {
	t.Parallel()
	n := int(DefaultLimits.MaxFileBytes) - 64
	fill := func(unit string) string { return strings.Repeat(unit, n/len(unit)) }
	for _, tc := range []struct {
		name, content, reason string
	}{
		{"too big", fill("a") + strings.Repeat("b", 128), "over the limit"},
		{"open brackets", fill("["), "not valid YAML"},
		{"flow list", "[" + fill("1,") + "1]", "not a mapping"},
		{"block list", fill("- 1\n"), "not a mapping"},
		{"many documents", fill("---\na: 1\n"), "more than 10000 YAML documents"},
		{"alias fan-out", "a: &a [x, y]\nl:\n" + fill("- *a\n"), "alias expansion"},
		{"alias bomb", bomb(12), "alias expansion"},
		{"deep block", deepBlock(100), "nested"},
		{"deep flow", "x: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000), "nested"},
		{"control chars", "a: \x01\n", "not valid YAML"},
		{"NUL", "a: b\x00\n", "binary"},
		{"latin-1", "a: caf\xe9\n", "not UTF-8"},
		{"UTF-16", "\xff\xfea\x00:\x00", "binary"},
		{"recursive alias", "a: &a [*a]\n", "refers to its own anchor"},
		{"bad merge", "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata: {<<: 1, name: s}\n", "merge key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := tree{"raw/x.yaml": []byte(tc.content)}
			start := time.Now()
			res, err := Compute(in.snapshot(t), defaultSettings())
			if el := time.Since(start); el > 20*time.Second {
				t.Errorf("took %v", el)
			}
			if err != nil {
				t.Fatal(err)
			}
			assertInvariants(t, in, defaultSettings(), res)
			if len(res.Documents) != 1 {
				t.Fatalf("documents = %+v", res.Documents)
			}
			d := res.Documents[0]
			if d.Placement != PlacementUnmanaged || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("document = %+v, want unmanaged because %q", d, tc.reason)
			}
			out := in.apply(t, res.Changes)
			if string(out[d.Destination]) != tc.content {
				t.Errorf("%s is not byte for byte the source", d.Destination)
			}
		})
	}
}

func bomb(levels int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func deepBlock(depth int) string {
	var b strings.Builder
	b.WriteString("apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata: {name: deep}\nspec:\n")
	for i := 1; i <= depth; i++ {
		fmt.Fprintf(&b, "%sl%d:\n", strings.Repeat("  ", i), i)
	}
	fmt.Fprintf(&b, "%send: true\n", strings.Repeat("  ", depth+1))
	return b.String()
}
