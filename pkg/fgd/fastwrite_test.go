package fgd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// checkFast parses one document, normalizes it as render does and, when
// fastEncode accepts it, demands encode's exact bytes. It reports whether
// the fast path was taken.
func checkFast(t *testing.T, text []byte) bool {
	t.Helper()
	root, err := parseDoc(text)
	if err != nil || root == nil {
		return false
	}
	w := walker{lim: DefaultLimits}
	if w.check(root) != nil {
		return false
	}
	if w.aliases {
		if root, err = expand(root); err != nil {
			return false
		}
	}
	if root.Kind != yaml.MappingNode {
		return false
	}
	if classify(root).folder != "" {
		n := normalize(root, "fabric-1")
		n.source.Value = "gitops/fabric-1/raw/a b#c.yaml#12"
		root = n.top
	} else {
		plain(root)
	}
	fast, ok := fastEncode(root)
	if !ok {
		return false
	}
	slow, err := encode(root)
	if err != nil {
		t.Fatalf("encode failed where fastEncode succeeded: %v\n%s", err, text)
	}
	if !bytes.Equal(fast, slow) {
		t.Fatalf("fastEncode differs from encode for:\n%s\nfast:\n%s\nslow:\n%s", text, fast, slow)
	}
	return true
}

func TestFastEncodeMatchesEncode(t *testing.T) {
	t.Parallel()
	var texts [][]byte
	for _, dir := range []string{"testdata", "../../examples", "../../testdata/hnp-fabric-1"} {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && isYAMLName(p) {
				b, _ := os.ReadFile(p)
				for _, s := range splitDocuments(b) {
					texts = append(texts, s.text)
				}
			}
			return nil
		})
	}
	for _, c := range benchTree(400) {
		for _, s := range splitDocuments(c) {
			texts = append(texts, s.text)
		}
	}
	texts = append(texts, []byte(strings.Join([]string{
		"a: yes", "b: \"on\"", "c: 1:20", "d: 2024-05-01", "e: \"65101\"", "f: 0x1F", "g: 1e3", "h: 10.0.0.0/8",
		"i: 0c:20:12:ff:00:00", "i2: 10.0.1.1", "i3: 1.2.3", "i4: 1.5e3.1", "i5: 1_0.0.1", "j: true", "k: \"true\"", "l: null", "m: ~", "n: 1.5", "o: -1", "p: a b c",
		"q: " + strings.Repeat("word ", 20), "r: [1, [2, []], {}]", "s: {t: [{u: v}, [w]]}", "x.y/z-w_1: plain",
	}, "\n")+"\n"))
	fast := 0
	for _, text := range texts {
		if checkFast(t, text) {
			fast++
		}
	}
	if fast < len(texts)/2 {
		t.Errorf("the fast path took only %d of %d documents", fast, len(texts))
	}
}

// FuzzFastEncode: for any document fastEncode accepts, its bytes are
// exactly yaml.v3's.
func FuzzFastEncode(f *testing.F) {
	for _, s := range []string{
		"a: b\nc: [d, {e: f}]\n", "a: yes\nb: 0c:20\nc: 1.5\n", "k: - x\n", "a:\n- - b\n  - c\n- {}\n",
		"apiVersion: v1\nkind: X\nmetadata: {name: a, labels: {x: y}}\nspec: {a: [1, 2], b: \"12\"}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if len(text) > 4096 {
			return
		}
		checkFast(t, text)
	})
}
