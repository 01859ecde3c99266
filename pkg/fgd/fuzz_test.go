package fgd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// FuzzCompute feeds arbitrary bytes as a raw/ file and as a root file: the
// engine must not panic, must stay inside the layout, account for every
// document, and reach a fixed point after one run.
func FuzzCompute(f *testing.F) {
	for _, c := range []string{
		"apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata: {name: a}\n",
		"---\n---\n...\n%YAML 1.2\n---\na: 1\n",
		"a: &a [*a]\n",
		"<<: {a: 1}\nb: *x\n",
		"--- {apiVersion: vpc.githedgehog.com/v1beta1, kind: VPC, metadata: {name: v, namespace: default}}\n",
		"apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  <<: &m {name: s}\n  annotations: {a: b}\nspec: *m\n",
	} {
		f.Add([]byte(c), []byte("kind: Kustomization\n"))
	}
	// Over the fuzz limit of 64 KiB: moved (raw/) or left (root) by blob
	// id, never read.
	over := []byte(strings.Repeat("# a comment line of a file over the size limit\n", 1500))
	f.Add(over, over)
	for _, dir := range []string{"testdata/alias-bomb/in/raw", "testdata/mixed-file/in/raw/site", "testdata/server-fields/in/raw"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && !e.IsDir() {
				f.Add(b, []byte{})
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw, root []byte) {
		in := tree{"raw/f.yaml": raw, "r.yaml": root}
		st := defaultSettings()
		st.Limits = Limits{MaxFileBytes: 64 << 10, MaxDocuments: 200, MaxAliases: 2000, MaxDepth: 32}
		res, err := Compute(in.snapshotWith(t, st.Limits), st)
		if err != nil {
			t.Fatalf("Compute: %v", err)
		}
		assertInvariants(t, in, st, res)
		out := in.apply(t, res.Changes)
		st.ParentCommit = "again"
		again, err := Compute(out.snapshotWith(t, st.Limits), st)
		if err != nil {
			t.Fatalf("second Compute: %v", err)
		}
		if len(again.Changes) != 0 {
			t.Fatalf("second run changed %s %s", again.Changes[0].Op, again.Changes[0].Path)
		}
	})
}

func FuzzCheckDir(f *testing.F) {
	for _, s := range []string{"", "/", "gitops/hedgehog/fabric-1", "../x", "a/.git", "C:/x", "a\\b", "a//b", "é/ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dir string) {
		got, err := CheckDir(dir)
		if err != nil {
			if got != "" || strings.Contains(err.Error(), "\n") && !strings.ContainsAny(dir, "\n") {
				t.Fatalf("CheckDir(%q) = %q, %v", dir, got, err)
			}
			return
		}
		if got == "" {
			return
		}
		if again, err := CheckDir(got); err != nil || again != got {
			t.Fatalf("CheckDir(%q) = %q, which does not check again: %q, %v", dir, got, again, err)
		}
		if strings.HasPrefix(got, "/") || strings.HasSuffix(got, "/") || strings.ContainsAny(got, "\\\x00") {
			t.Fatalf("CheckDir(%q) = %q", dir, got)
		}
		for _, seg := range strings.Split(got, "/") {
			if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".git") {
				t.Fatalf("CheckDir(%q) = %q with segment %q", dir, got, seg)
			}
		}
		for _, r := range got {
			if unicode.IsControl(r) {
				t.Fatalf("CheckDir(%q) = %q with a control character", dir, got)
			}
		}
	})
}
