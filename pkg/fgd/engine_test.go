package fgd

import (
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/pkg/crdschema"
)

// fixtureTree reads the user's three files into an FGD, under raw/ or flat.
func fixtureTree(t *testing.T, prefix string) tree {
	t.Helper()
	tr := tree{}
	for p, c := range readTree(t, "../../testdata/hnp-fabric-1") {
		tr[prefix+p] = c
	}
	if len(tr) != 3 {
		t.Fatalf("expected the 3 fixture files, found %d", len(tr))
	}
	return tr
}

// TestAcceptance is the user's case (contract §9), raw/ and flat.
func TestAcceptance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, prefix string }{{"raw", "raw/"}, {"flat", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := fixtureTree(t, tc.prefix)
			res, err := Compute(in.snapshot(t), defaultSettings())
			if err != nil {
				t.Fatal(err)
			}
			out := in.apply(t, res.Changes)
			count := map[string]int{}
			var raw []string
			for p := range out {
				if strings.HasPrefix(p, "raw/") {
					raw = append(raw, p)
				}
				if dir, file := path.Split(p); strings.HasPrefix(dir, "managed/") && file != ".gitkeep" && dir != "managed/" {
					count[strings.TrimSuffix(strings.TrimPrefix(dir, "managed/"), "/")]++
				}
			}
			want := map[string]int{"connections": 26, "servers": 10, "switches": 7, "switchgroups": 3, "vpcs": 2}
			if d := cmp.Diff(want, count); d != "" {
				t.Errorf("managed files per folder (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]string{"raw/.gitkeep"}, raw); d != "" {
				t.Errorf("raw/ after ingestion (-want +got):\n%s", d)
			}
			for _, p := range append([]string{PathReadme, PathManifest, PathArchiveLog, PathKustomization, "unmanaged/.gitkeep"},
				gitkeeps()...) {
				if _, ok := out[p]; !ok {
					t.Errorf("skeleton path %s missing", p)
				}
			}
			for p := range in {
				if _, ok := out[p]; ok {
					t.Errorf("source %s still present", p)
				}
			}
			if got, want := res.Summary, "Initialize GitOps directory for fabric fabric-1 and ingest 48 documents"; got != want {
				t.Errorf("Summary = %q, want %q", got, want)
			}
			if c := res.Counts(); c[PlacementManaged] != 48 || c[PlacementUnmanaged] != 0 || c[PlacementKept] != 0 {
				t.Errorf("Counts = %v", c)
			}
			kust := string(out[PathKustomization])
			if n := strings.Count(kust, "\n- "); n != 48 {
				t.Errorf("kustomization lists %d resources, want 48", n)
			}
		})
	}
}

func gitkeeps() []string {
	var out []string
	for _, f := range KindFolders() {
		out = append(out, "managed/"+f+"/.gitkeep")
	}
	return out
}

// TestFlatEqualsRaw: the flat layout gives the same managed files as raw/,
// except for the source annotation.
func TestFlatEqualsRaw(t *testing.T) {
	t.Parallel()
	outs := map[string]tree{}
	for _, prefix := range []string{"raw/", ""} {
		in := fixtureTree(t, prefix)
		res, err := Compute(in.snapshot(t), defaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		out := in.apply(t, res.Changes)
		norm := tree{}
		for p, c := range out {
			if strings.HasPrefix(p, "managed/") {
				norm[p] = []byte(strings.ReplaceAll(string(c), "fabric-1/raw/", "fabric-1/"))
			}
		}
		outs[prefix] = norm
	}
	if d := cmp.Diff(stringTree(outs["raw/"]), stringTree(outs[""])); d != "" {
		t.Errorf("managed/ differs between raw and flat (-raw +flat):\n%s", d)
	}
}

func TestCheckDir(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
		bad            bool
	}{
		{"root slash", "/", "", false},
		{"empty", "", "", false},
		{"user's path", "/gitops/hedgehog/fabric-1/", "gitops/hedgehog/fabric-1", false},
		{"many slashes", "//a/b//", "a/b", false},
		{"dots inside names", "a/b.c/..d", "a/b.c/..d", false},
		{"dotdot", "a/../b", "", true},
		{"leading dotdot", "../x", "", true},
		{"dot", "a/./b", "", true},
		{"backslash", `a\b`, "", true},
		{"nul", "a\x00b", "", true},
		{"newline", "a\nb", "", true},
		{"del", "a\x7fb", "", true},
		{"git", "a/.git/hooks", "", true},
		{"gitignore-like", ".github/x", "", true},
		{"drive", "C:/x", "", true},
		{"drive lower", "c:", "", true},
		{"empty segment", "a//b", "", true},
		{"too long", strings.Repeat("a", 501), "", true},
		{"max length", strings.Repeat("a", 500), strings.Repeat("a", 500), false},
		{"invalid utf8", "a/\xff", "", true},
		{"bidi override", "fabrics/\u202eevil", "", true},
		{"zero-width space", "fab\u200brics", "", true},
		{"padded segment", "fabrics/ a /x", "", true},
		{"trailing space", "fabric-1 ", "", true},
		{"unicode name", "fabrics/żółw", "fabrics/żółw", false},
	} {
		got, err := CheckDir(tc.in)
		if tc.bad {
			var de *DirError
			if !errors.Is(err, ErrInvalidDir) || !errors.As(err, &de) || de.Reason == "" || strings.Contains(de.Reason, "\n") {
				t.Errorf("%s: CheckDir(%q) error = %v, want a one-line *DirError", tc.name, tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: CheckDir(%q) = %q, %v; want %q", tc.name, tc.in, got, err, tc.want)
		}
	}
}

func TestParseArchiveStrategy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		def  ArchiveStrategy
		want ArchiveStrategy
	}{
		{"rename_with_extension", ArchiveDelete, ArchiveRename},
		{" Rename_With_Extension ", ArchiveDelete, ArchiveRename},
		{"move_to_archive_dir", ArchiveRename, ArchiveDelete},
		{"backup_with_timestamp", ArchiveRename, ArchiveDelete},
		{"none", ArchiveRename, ArchiveDelete},
		{"", ArchiveRename, ArchiveRename},
		{"", "", ArchiveDelete},
		{"something-new", ArchiveRename, ArchiveRename},
	} {
		if got := ParseArchiveStrategy(tc.in, tc.def); got != tc.want {
			t.Errorf("ParseArchiveStrategy(%q, %q) = %q, want %q", tc.in, tc.def, got, tc.want)
		}
	}
}

func TestWanted(t *testing.T) {
	t.Parallel()
	e := func(p string, typ EntryType) Entry { return Entry{Path: p, Type: typ, SHA: BlobSHA([]byte(p))} }
	steady := []Entry{
		e("README.md", TypeFile), e(PathManifest, TypeFile), e(PathArchiveLog, TypeFile),
		e("raw/.gitkeep", TypeFile), e("raw/old.yaml.archived", TypeFile), e("managed/kustomization.yaml", TypeFile),
		e("managed/switches/leaf-01.yaml", TypeFile), e("unmanaged/x.yaml", TypeFile), e("docs/a.yaml", TypeFile),
	}
	for _, tc := range []struct {
		name    string
		entries []Entry
		want    []string
	}{
		{"steady state reads nothing", steady, nil},
		{"a new drop reads it and the log", append(steady[:len(steady):len(steady)], e("raw/a/b.yml", TypeExecutable)),
			[]string{PathArchiveLog, "raw/a/b.yml"}},
		{"root yaml is a candidate", []Entry{e("kustomization.yaml", TypeFile)}, []string{"kustomization.yaml"}},
		{"symlinks and submodules are never read", []Entry{
			e("raw/link.yaml", TypeSymlink), e("raw/sub.yaml", TypeSubmodule), e("root.yaml", TypeSymlink), e(PathArchiveLog, TypeFile),
		}, nil},
		{"unclean paths are ignored", []Entry{e("raw/../x.yaml", TypeFile), e("/abs.yaml", TypeFile)}, nil},
		{"a file over the limit is never read, but the log is", []Entry{
			sized("raw/big.yaml", DefaultLimits.MaxFileBytes+1), sized("big.yaml", 50<<20), e(PathArchiveLog, TypeFile),
		}, []string{PathArchiveLog}},
		{"a file at the limit is read", []Entry{sized("raw/edge.yaml", DefaultLimits.MaxFileBytes)}, []string{"raw/edge.yaml"}},
	} {
		if d := cmp.Diff(tc.want, Wanted(tc.entries)); d != "" {
			t.Errorf("%s: Wanted (-want +got):\n%s", tc.name, d)
		}
	}
	lowered := []Entry{sized("raw/a.yaml", 100), sized("raw/b.yaml", 101)}
	if d := cmp.Diff([]string{"raw/a.yaml"}, WantedWith(lowered, Limits{MaxFileBytes: 100})); d != "" {
		t.Errorf("WantedWith a 100-byte limit (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"raw/a.yaml", "raw/b.yaml"}, WantedWith(lowered, Limits{})); d != "" {
		t.Errorf("WantedWith zero limits = defaults (-want +got):\n%s", d)
	}
}

func sized(p string, size int64) Entry {
	return Entry{Path: p, Type: TypeFile, Size: size, SHA: BlobSHA([]byte(p))}
}

// TestOversizedFromTheListingAlone: a 50 MiB file is decided from its Entry;
// its content is not in the snapshot and that is not an error.
func TestOversizedFromTheListingAlone(t *testing.T) {
	t.Parallel()
	big := sized("raw/dump/big.yaml", 50<<20)
	root := sized("wiring.yaml", 50<<20)
	for _, tc := range []struct {
		name     string
		strategy ArchiveStrategy
		want     []Change // the changes that concern big.yaml
	}{
		{"delete", ArchiveDelete, []Change{
			{Path: "raw/dump/big.yaml", Op: OpDelete},
			{Path: "unmanaged/dump/big.yaml", Op: OpCreate, SHA: big.SHA, From: big.Path},
		}},
		{"rename", ArchiveRename, []Change{
			{Path: "raw/dump/big.yaml", Op: OpDelete},
			{Path: "raw/dump/big.yaml.archived", Op: OpCreate, SHA: big.SHA, From: big.Path},
			{Path: "unmanaged/dump/big.yaml", Op: OpCreate, SHA: big.SHA, From: big.Path},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := defaultSettings()
			st.ArchiveStrategy = tc.strategy
			s := Snapshot{Entries: []Entry{big, root}, Contents: map[string][]byte{}}
			if w := Wanted(s.Entries); len(w) != 0 {
				t.Fatalf("Wanted = %q, want nothing", w)
			}
			res, err := Compute(s, st)
			if err != nil {
				t.Fatal(err)
			}
			var got []Change
			for _, ch := range res.Changes {
				if strings.Contains(ch.Path, "big.yaml") || ch.Path == root.Path {
					got = append(got, ch)
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("changes (-want +got):\n%s", d)
			}
			wantDocs := []Document{
				{Source: big.Path, Placement: PlacementUnmanaged, Destination: "unmanaged/dump/big.yaml",
					Reason: "file is 52428800 bytes, over the limit of 1048576: moved whole without reading"},
				{Source: root.Path, Placement: PlacementKept, Reason: "left in place: file is 52428800 bytes, over the limit of 1048576"},
			}
			if d := cmp.Diff(wantDocs, res.Documents); d != "" {
				t.Errorf("documents (-want +got):\n%s", d)
			}
		})
	}
	t.Run("without a blob id", func(t *testing.T) {
		t.Parallel()
		s := Snapshot{Entries: []Entry{{Path: "raw/big.yaml", Type: TypeFile, Size: 50 << 20}}}
		if _, err := Compute(s, defaultSettings()); !errors.Is(err, ErrMissingContent) {
			t.Fatalf("err = %v, want ErrMissingContent", err)
		}
	})
}

func TestSymlinksInRawAreKept(t *testing.T) {
	t.Parallel()
	s := Snapshot{Entries: []Entry{
		{Path: "raw/link.yaml", Type: TypeSymlink, SHA: BlobSHA([]byte("../../etc/passwd"))},
		{Path: "raw/sub", Type: TypeSubmodule, SHA: strings.Repeat("a", 40)},
	}}
	res, err := Compute(s, defaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range res.Changes {
		if strings.HasPrefix(ch.Path, "raw/link") || strings.HasPrefix(ch.Path, "raw/sub") {
			t.Errorf("change to a symlink or submodule: %s %s", ch.Op, ch.Path)
		}
	}
	want := []Document{
		{Source: "raw/link.yaml", Placement: PlacementKept, Reason: "a symlink is never read or moved"},
		{Source: "raw/sub", Placement: PlacementKept, Reason: "a submodule is never read or moved"},
	}
	if d := cmp.Diff(want, res.Documents); d != "" {
		t.Errorf("Documents (-want +got):\n%s", d)
	}
}

func TestMissingContentIsACallerError(t *testing.T) {
	t.Parallel()
	s := Snapshot{Entries: []Entry{{Path: "raw/a.yaml", Type: TypeFile, SHA: BlobSHA([]byte("x"))}}}
	if _, err := Compute(s, defaultSettings()); !errors.Is(err, ErrMissingContent) {
		t.Fatalf("Compute without content: err = %v, want ErrMissingContent", err)
	}
	tr := tree{"raw/a.yaml": []byte("a: 1\n"), PathArchiveLog: []byte(archiveLogHeader)}
	s = tr.snapshot(t)
	delete(s.Contents, PathArchiveLog)
	if _, err := Compute(s, defaultSettings()); !errors.Is(err, ErrMissingContent) {
		t.Fatalf("Compute without the archive log: err = %v, want ErrMissingContent", err)
	}
}

func TestBadSettings(t *testing.T) {
	t.Parallel()
	for _, st := range []Settings{
		{ArchiveStrategy: "shred"},
		{RepoDir: "/x/"},
		{RepoDir: "a/../b"},
	} {
		if _, err := Compute(Snapshot{}, st); err == nil {
			t.Errorf("Compute with %+v: no error", st)
		}
	}
}

// TestConflictLogIsStable: a conflict keeps both files in place and logs
// them once, so the next runs change nothing; resolving it ingests both.
func TestConflictLogIsStable(t *testing.T) {
	t.Parallel()
	in := tree{
		"raw/a.yaml": []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata: {name: v}\nspec: {a: 1}\n"),
		"raw/b.yaml": []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata: {name: v}\nspec: {a: 2}\n"),
	}
	st := defaultSettings()
	res, err := Compute(in.snapshot(t), st)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts) != 1 || !strings.Contains(res.ConflictText(), "raw/a.yaml#0 and raw/b.yaml#0") {
		t.Fatalf("conflicts = %v", res.ConflictText())
	}
	out := in.apply(t, res.Changes)
	if _, ok := out["managed/vpcs/v.yaml"]; ok {
		t.Error("a conflicting object was written")
	}
	for i := 0; i < 3; i++ {
		st.ParentCommit = strings.Repeat(string(rune('a'+i)), 40)
		again, err := Compute(out.snapshot(t), st)
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Changes) != 0 {
			t.Fatalf("run %d after a conflict changed %d paths (first %s)", i+2, len(again.Changes), again.Changes[0].Path)
		}
	}
	out["raw/b.yaml"] = in["raw/a.yaml"]
	res, err = Compute(out.snapshot(t), st)
	if err != nil {
		t.Fatal(err)
	}
	out = out.apply(t, res.Changes)
	if _, ok := out["managed/vpcs/v.yaml"]; !ok || len(res.Conflicts) != 0 {
		t.Errorf("after resolving: conflicts %v, managed file present %v", res.Conflicts, ok)
	}
	if n := strings.Count(string(out[PathArchiveLog]), "- source:"); n != 4 {
		t.Errorf("archive log has %d entries, want 4 (2 kept, 2 ingested)", n)
	}
}

func TestYAML11Strings(t *testing.T) {
	t.Parallel()
	in := tree{"raw/a.yaml": []byte(`apiVersion: wiring.githedgehog.com/v1beta1
kind: Switch
metadata: {name: s}
spec: {a: "yes", b: "on", c: "N", d: "1:20", e: "0c:20:12:ff:00:00", f: "1001", g: "true", h: "plain"}
`)}
	st := defaultSettings()
	st.FabricName = "off"
	res, err := Compute(in.snapshot(t), st)
	if err != nil {
		t.Fatal(err)
	}
	got := string(in.apply(t, res.Changes)["managed/switches/s.yaml"])
	for _, want := range []string{`a: "yes"`, `b: "on"`, `c: "N"`, `d: "1:20"`, "e: 0c:20:12:ff:00:00", `f: "1001"`, `g: "true"`, "h: plain",
		`hnp.githedgehog.com/fabric: "off"`} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("managed file lacks %q:\n%s", want, got)
		}
	}
}

// TestExample keeps examples/fgd honest: it plans cleanly and is idempotent.
func TestExample(t *testing.T) {
	t.Parallel()
	in := readTree(t, "../../examples/fgd")
	st := defaultSettings()
	st.RepoDir = "examples/fgd"
	res, err := Compute(in.snapshot(t), st)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Counts(); c[PlacementManaged] != 12 || c[PlacementUnmanaged] != 1 || c[PlacementKept] != 0 || len(res.Conflicts) != 0 {
		t.Errorf("example: counts %v, conflicts %v", c, res.Conflicts)
	}
	out := in.apply(t, res.Changes)
	if string(out[PathReadme]) != string(in[PathReadme]) {
		t.Error("the example's own README.md was rewritten")
	}
	again, err := Compute(out.snapshot(t), st)
	if err != nil || len(again.Changes) != 0 {
		t.Errorf("second run: %v, %d changes", err, len(again.Changes))
	}
}

// TestAcceptanceSchemaChecked is the user's case with the built-in CRD
// schemas: all 48 documents pass and are managed, each marked valid.
func TestAcceptanceSchemaChecked(t *testing.T) {
	t.Parallel()
	schemas, err := crdschema.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"raw/", ""} {
		st := defaultSettings()
		st.Schemas = schemas
		res, err := Compute(fixtureTree(t, prefix).snapshot(t), st)
		if err != nil {
			t.Fatal(err)
		}
		if c := res.Counts(); c[PlacementManaged] != 48 || c[PlacementUnmanaged] != 0 || c[PlacementKept] != 0 {
			t.Errorf("%q: Counts = %v, want 48 managed", prefix, c)
		}
		for _, d := range res.Documents {
			if d.Schema != SchemaValid {
				t.Errorf("%s: Schema = %q (%s%s), want valid", d.Source, d.Schema, d.Reason, d.Note)
			}
		}
		if p := res.SchemaProblems(); len(p) != 0 {
			t.Errorf("SchemaProblems = %v", p)
		}
	}
}

// TestSchemaRejectsToUnmanaged: a CR that fails its schema goes to
// unmanaged/ as its source text with the field path and message as the
// reason; a CR of a version without a schema is managed as before, with a
// note; the rest of the file is managed; a second run changes nothing.
func TestSchemaRejectsToUnmanaged(t *testing.T) {
	t.Parallel()
	schemas, err := crdschema.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	good := "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: good\nspec:\n  subnets:\n    default:\n      subnet: 10.0.0.0/24\n      vlan: 1001\n"
	typo := "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: typo\nspec:\n  subnetz: {}\n"
	future := "apiVersion: vpc.githedgehog.com/v1alpha9\nkind: VPC\nmetadata:\n  name: future\nspec:\n  anything: 1\n"
	in := tree{"raw/mixed.yaml": []byte(good + "---\n" + typo + "---\n" + future)}
	st := defaultSettings()
	st.Schemas = schemas
	res, err := Compute(in.snapshot(t), st)
	if err != nil {
		t.Fatal(err)
	}
	want := []Document{
		{Source: "raw/mixed.yaml#0", Kind: "VPC", Name: "good", Placement: PlacementManaged, Destination: "managed/vpcs/good.yaml", Schema: SchemaValid},
		{Source: "raw/mixed.yaml#1", Kind: "VPC", Name: "typo", Placement: PlacementUnmanaged, Destination: "unmanaged/mixed.yaml",
			Reason: `fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz"`, Schema: SchemaInvalid},
		{Source: "raw/mixed.yaml#2", Kind: "VPC", Name: "future", Placement: PlacementManaged, Destination: "managed/vpcs/future.yaml",
			Schema: SchemaUnknown, Note: "not schema-checked: no schema for VPC vpc.githedgehog.com/v1alpha9"},
	}
	if d := cmp.Diff(want, res.Documents); d != "" {
		t.Errorf("Documents (-want +got):\n%s", d)
	}
	out := in.apply(t, res.Changes)
	if got := string(out["unmanaged/mixed.yaml"]); got != "---\n"+typo {
		t.Errorf("unmanaged/mixed.yaml = %q, want the typo document's source text", got)
	}
	if _, ok := out["managed/vpcs/typo.yaml"]; ok {
		t.Error("the invalid VPC was written to managed/")
	}
	body := res.Body()
	for _, line := range []string{
		`Failed its CRD schema, moved to unmanaged/: raw/mixed.yaml#1 VPC typo: fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz"`,
		"Placed without a schema check: raw/mixed.yaml#2 VPC future: not schema-checked: no schema for VPC vpc.githedgehog.com/v1alpha9",
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("Body lacks %q:\n%s", line, body)
		}
	}
	again, err := Compute(out.snapshot(t), st)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Changes) != 0 {
		t.Errorf("second run changes %v", again.Changes)
	}
}

// A root file (the old flat layout) whose only Hedgehog CR fails its schema
// is still a Hedgehog file: it is ingested, the CR going to unmanaged/ with
// the reason, not left alone as the user's own.
func TestSchemaRejectsRootFile(t *testing.T) {
	t.Parallel()
	schemas, err := crdschema.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	typo := "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: typo\nspec:\n  subnetz: {}\n"
	in := tree{"vpc.yaml": []byte(typo), "kustomization.yaml": []byte("resources: []\n")}
	st := defaultSettings()
	st.Schemas = schemas
	res, err := Compute(in.snapshot(t), st)
	if err != nil {
		t.Fatal(err)
	}
	want := []Document{{Source: "vpc.yaml#0", Kind: "VPC", Name: "typo", Placement: PlacementUnmanaged, Destination: "unmanaged/vpc.yaml",
		Reason: `fails the VPC schema of vpc.githedgehog.com/v1beta1: unknown field "spec.subnetz"`, Schema: SchemaInvalid}}
	if d := cmp.Diff(want, res.Documents); d != "" {
		t.Errorf("Documents (-want +got):\n%s", d)
	}
	out := in.apply(t, res.Changes)
	if _, ok := out["vpc.yaml"]; ok {
		t.Error("vpc.yaml is still in the root")
	}
	if string(out["unmanaged/vpc.yaml"]) != typo {
		t.Errorf("unmanaged/vpc.yaml = %q", out["unmanaged/vpc.yaml"])
	}
	if _, ok := out["kustomization.yaml"]; !ok {
		t.Error("the user's own root file was touched")
	}
}
