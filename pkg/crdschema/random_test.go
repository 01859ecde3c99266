package crdschema

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// randomValues are what a mutation may put anywhere.
var randomValues = []any{
	"x", "", "spine", "mclag", "10.0.0.1/31", "10.0.0.1", "Not_A_Name", int64(0), int64(7), int64(-1), int64(70000),
	1.5, true, false, nil, []any{}, []any{"a"}, map[string]any{}, map[string]any{"zz": int64(1)},
}

// paths lists every (container, key-or-index) of v.
type slot struct {
	m map[string]any
	l []any
	k string
	i int
}

func slots(v any, out []slot) []slot {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			out = append(out, slot{m: v, k: k})
			out = slots(v[k], out)
		}
	case []any:
		for i := range v {
			out = append(out, slot{l: v, i: i})
			out = slots(v[i], out)
		}
	}
	return out
}

// mutate changes obj in one random place.
func mutate(r *rand.Rand, obj map[string]any) {
	all := slots(obj, nil)
	s := all[r.IntN(len(all))]
	if s.m != nil && len(all) > 0 && sameMap(s.m, obj) && (s.k == "apiVersion" || s.k == "kind") {
		return // the engine only checks what it manages, by apiVersion and kind
	}
	val := clone(randomValues[r.IntN(len(randomValues))])
	switch {
	case s.m != nil && r.IntN(4) == 0:
		delete(s.m, s.k)
	case s.m != nil && r.IntN(4) == 0:
		s.m["zz"+s.k] = val
	case s.m != nil:
		s.m[s.k] = val
	default:
		s.l[s.i] = val
	}
}

// TestRandomMutationsAgainstTheReference changes the user's documents in
// one to three random places, 3,000 times (a fixed seed), and demands the
// reference's verdict and field paths every time.
func TestRandomMutationsAgainstTheReference(t *testing.T) {
	t.Parallel()
	ref, s := builtinReference(t), mustBuiltin(t)
	docs := fixtureDocs(t)
	r := rand.New(rand.NewPCG(15, 2))
	refused := 0
	for n := 0; n < 3000; n++ {
		var obj map[string]any
		if err := json.Unmarshal(docs[r.IntN(len(docs))], &obj); err != nil {
			t.Fatal(err)
		}
		for range 1 + r.IntN(3) {
			mutate(r, obj)
		}
		js, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if compare(t, ref, s, js) {
			refused++
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d of the mutated documents refused", refused)
	if refused < 1000 {
		t.Errorf("only %d mutated documents refused: the mutations are too gentle to test much", refused)
	}
}

func sameMap(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	a["\x00probe"] = true
	_, same := b["\x00probe"]
	delete(a, "\x00probe")
	return same
}

// clone copies a JSON value, so that no container is shared.
func clone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = clone(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = clone(e)
		}
		return out
	}
	return v
}
