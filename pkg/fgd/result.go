package fgd

import (
	"fmt"
	"slices"
	"strings"
)

// Where a document ended up.
const (
	PlacementManaged   = "managed"
	PlacementUnmanaged = "unmanaged"
	PlacementKept      = "kept" // still in place, with a reason
)

// What happened to a source file, as recorded in the archive log.
const (
	ActionIngested  = "ingested"  // its documents were placed (at least one managed, or none at all)
	ActionUnmanaged = "unmanaged" // it went to unmanaged/ whole
	ActionKept      = "kept"      // it stays where it is
)

// Document is where one source document, or one whole source file, went.
type Document struct {
	// Source is "<path relative to the FGD>#<document index>", or the bare
	// path when the file was handled whole (it did not parse, broke a
	// limit, or is not a regular YAML file).
	Source      string `json:"source"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Placement   string `json:"placement"`
	Destination string `json:"destination"` // relative to the FGD; "" when kept
	Reason      string `json:"reason"`      // why it is not managed; "" when managed
	// Schema is the verdict of the CRD schema check (SchemaValid,
	// SchemaInvalid, SchemaUnknown); "" when the document was not checked
	// (no SchemaChecker in the settings, or not a managed kind).
	Schema string `json:"schema,omitempty"`
	// Note is a remark on a placed document: for SchemaUnknown, that it was
	// not schema-checked and why.
	Note string `json:"note,omitempty"`
}

// SourceFile is what happened to one processed source file.
type SourceFile struct {
	Path       string   `json:"path"`
	Blob       string   `json:"blob"`
	Action     string   `json:"action"`
	Reason     string   `json:"reason,omitempty"`
	Outputs    []string `json:"outputs,omitempty"`
	ArchivedTo string   `json:"archived_to,omitempty"` // with ArchiveRename
}

// Conflict is one kind and name defined with different content by several
// source documents in one run: none of them is written and every source
// file involved stays in place.
type Conflict struct {
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Sources []string `json:"sources"` // "<path>#<index>", sorted
}

func (c Conflict) String() string {
	return fmt.Sprintf("%s %s is defined differently in %s", c.Kind, c.Name, strings.Join(c.Sources, " and "))
}

// Result is the outcome of Compute.
type Result struct {
	// Changes are the real differences from the listing, sorted by path,
	// relative to the FGD root.
	Changes   []Change
	Documents []Document
	Sources   []SourceFile
	Conflicts []Conflict
	// Initialized is true when this change set lays out the FGD for the
	// first time (there was no .hnp/manifest.yaml).
	Initialized bool
	// Summary is the one-line commit summary for this FGD.
	Summary string
}

// Counts returns the number of documents by placement: managed, unmanaged
// and kept are always present.
func (r *Result) Counts() map[string]int {
	m := map[string]int{PlacementManaged: 0, PlacementUnmanaged: 0, PlacementKept: 0}
	for _, d := range r.Documents {
		m[d.Placement]++
	}
	return m
}

// ManagedByFolder returns how many documents of this run went to each
// managed/ folder.
func (r *Result) ManagedByFolder() map[string]int {
	m := map[string]int{}
	for _, d := range r.Documents {
		if d.Placement == PlacementManaged {
			f, _, _ := strings.Cut(strings.TrimPrefix(d.Destination, DirManaged+"/"), "/")
			m[f]++
		}
	}
	return m
}

// SchemaProblems lists, one line each, the documents that failed their CRD
// schema and went to unmanaged/: "<source> <Kind> <name>: <reason>".
func (r *Result) SchemaProblems() []string {
	var out []string
	for _, d := range r.Documents {
		if d.Schema == SchemaInvalid && d.Placement == PlacementUnmanaged {
			out = append(out, fmt.Sprintf("%s %s %s: %s", d.Source, d.Kind, d.Name, d.Reason))
		}
	}
	return out
}

// Unchecked lists, one line each, the managed documents that were placed
// without a schema check because no schema is known for their group and
// version.
func (r *Result) Unchecked() []string {
	var out []string
	for _, d := range r.Documents {
		if d.Schema == SchemaUnknown {
			out = append(out, fmt.Sprintf("%s %s %s: %s", d.Source, d.Kind, d.Name, d.Note))
		}
	}
	return out
}

// ConflictText is one line naming every conflict, or "" when there is none.
func (r *Result) ConflictText() string {
	parts := make([]string, 0, len(r.Conflicts))
	for _, c := range r.Conflicts {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, "; ")
}

// Body returns the counts for a commit message body, one fact per line.
func (r *Result) Body() string {
	var b strings.Builder
	c := r.Counts()
	fmt.Fprintf(&b, "Documents: %d managed, %d unmanaged, %d kept in place.\n",
		c[PlacementManaged], c[PlacementUnmanaged], c[PlacementKept])
	byFolder := r.ManagedByFolder()
	folders := make([]string, 0, len(byFolder))
	for f := range byFolder {
		folders = append(folders, f)
	}
	slices.Sort(folders)
	for _, f := range folders {
		fmt.Fprintf(&b, "  managed/%s: %d\n", f, byFolder[f])
	}
	actions := map[string]int{}
	for _, s := range r.Sources {
		actions[s.Action]++
	}
	fmt.Fprintf(&b, "Source files: %d ingested, %d moved to unmanaged/, %d kept in place.\n",
		actions[ActionIngested], actions[ActionUnmanaged], actions[ActionKept])
	for _, k := range r.Conflicts {
		fmt.Fprintf(&b, "Conflict: %s.\n", k)
	}
	writeList(&b, "Failed its CRD schema, moved to unmanaged/: ", r.SchemaProblems())
	writeList(&b, "Placed without a schema check: ", r.Unchecked())
	fmt.Fprintf(&b, "Files changed: %d.\n", len(r.Changes))
	return b.String()
}

// bodyListMax is how many lines of one kind Body names; the rest are
// counted.
const bodyListMax = 5

func writeList(b *strings.Builder, prefix string, lines []string) {
	for i, l := range lines {
		if i == bodyListMax {
			fmt.Fprintf(b, "%s%d more.\n", prefix, len(lines)-bodyListMax)
			return
		}
		fmt.Fprintf(b, "%s%s\n", prefix, l)
	}
}
