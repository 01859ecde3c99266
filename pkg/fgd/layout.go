package fgd

import (
	"bytes"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The FGD layout, relative to the FGD root.
const (
	DirRaw            = "raw"
	DirManaged        = "managed"
	DirUnmanaged      = "unmanaged"
	DirMetadata       = ".hnp"
	PathReadme        = "README.md"
	PathManifest      = ".hnp/manifest.yaml"
	PathArchiveLog    = ".hnp/archive-log.yaml"
	PathKustomization = "managed/kustomization.yaml"
	Gitkeep           = ".gitkeep"
	ArchivedSuffix    = ".archived"
	// StructureVersion is the layout version recorded in the manifest.
	StructureVersion = 1
)

func isYAMLName(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}

func readable(t EntryType) bool { return t == TypeFile || t == TypeExecutable }

// isCandidate reports whether p may be a source file: any YAML file under
// raw/ (recursively) or directly in the FGD root.
func isCandidate(p string) bool {
	if !isYAMLName(p) || path.Base(p) == Gitkeep {
		return false
	}
	return strings.HasPrefix(p, DirRaw+"/") || !strings.Contains(p, "/")
}

// cleanRel reports whether p is a clean relative slash path.
func cleanRel(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return false
	}
	for _, s := range strings.Split(p, "/") {
		if s == "" || s == "." || s == ".." {
			return false
		}
	}
	return !strings.ContainsAny(p, "\\\x00")
}

// Wanted is WantedWith(entries, DefaultLimits).
func Wanted(entries []Entry) []string { return WantedWith(entries, DefaultLimits) }

// WantedWith returns, sorted, the paths of entries whose content Compute
// needs: the candidate source files (YAML under raw/ and in the FGD root)
// and, only when there is at least one, the archive log, which the engine
// appends to. A steady-state FGD therefore needs no blob read at all.
// Symlinks and submodules are never read, nor is a candidate whose Size is
// over limits.MaxFileBytes (zero fields are DefaultLimits): Compute moves it
// by its blob SHA. Pass the limits of the Settings given to Compute.
func WantedWith(entries []Entry, limits Limits) []string {
	lim := limits.withDefaults()
	var out []string
	hasLog, candidates := false, false
	for _, e := range entries {
		if !readable(e.Type) || !cleanRel(e.Path) {
			continue
		}
		if e.Path == PathArchiveLog {
			hasLog = true
			continue
		}
		if isCandidate(e.Path) {
			candidates = true
			if !oversized(e, lim) {
				out = append(out, e.Path)
			}
		}
	}
	if candidates && hasLog {
		out = append(out, PathArchiveLog)
	}
	slices.Sort(out)
	return out
}

// oversized reports whether e is a file over the size limit, which the
// engine never reads.
func oversized(e Entry, lim Limits) bool { return e.Size > lim.MaxFileBytes }

const readmeText = `# Fabric GitOps directory

This directory is laid out and maintained by hnp-gitops for a fabric of the
Hedgehog NetBox Plugin (HNP). Point Argo CD or Flux at ` + "`managed/`" + `.

| path | what it is for |
|---|---|
| ` + "`raw/`" + ` | the drop zone: add YAML files here (kubectl dumps, wiring diagrams). On the next reconcile every document is moved to ` + "`managed/`" + ` or ` + "`unmanaged/`" + ` and the file is removed from ` + "`raw/`" + `. |
| ` + "`managed/<kind>/<name>.yaml`" + ` | one normalized Hedgehog custom resource per file, written by hnp-gitops. Edit freely; a document dropped into ` + "`raw/`" + ` with the same kind and name replaces the file. |
| ` + "`managed/kustomization.yaml`" + ` | lists every file of ` + "`managed/`" + `, so Argo CD or Flux apply exactly these. Generated: do not edit. |
| ` + "`unmanaged/`" + ` | documents and files kept verbatim but not managed: other kinds, invalid names, other namespaces, files that do not parse. |
| ` + "`.hnp/manifest.yaml`" + ` | a machine-readable description of this layout. Generated: do not edit. |
| ` + "`.hnp/archive-log.yaml`" + ` | an append-only record of every file hnp-gitops moved or removed, with its blob SHA and the commit it was removed from. |

Nothing is ever lost: git history keeps every file hnp-gitops removed.
`

const archiveLogHeader = `# Append-only record of every source file hnp-gitops processed in this fabric
# GitOps directory: the file, its blob SHA, the commit it was removed from, what
# happened to it and the paths it produced. Git history holds the times.
`

type manifest struct {
	StructureVersion int               `yaml:"structure_version"`
	ManagedBy        string            `yaml:"managed_by"`
	Fabric           manifestFabric    `yaml:"fabric"`
	Directories      map[string]string `yaml:"directories"`
	CRDDirectories   []string          `yaml:"crd_directories"`
	ArchiveStrategy  ArchiveStrategy   `yaml:"archive_strategy"`
}

type manifestFabric struct {
	ID   int64  `yaml:"id"`
	Name string `yaml:"name"`
}

func manifestBytes(st Settings, strategy ArchiveStrategy) ([]byte, error) {
	m := manifest{
		StructureVersion: StructureVersion,
		ManagedBy:        ManagedByValue,
		Fabric:           manifestFabric{ID: st.FabricID, Name: st.FabricName},
		Directories:      map[string]string{"raw": DirRaw, "managed": DirManaged, "unmanaged": DirUnmanaged, "metadata": DirMetadata},
		CRDDirectories:   KindFolders(),
		ArchiveStrategy:  strategy,
	}
	var n yaml.Node
	if err := n.Encode(m); err != nil {
		return nil, err
	}
	b, err := encode(&n)
	if err != nil {
		return nil, err
	}
	return append([]byte("# Written by hnp-gitops: the layout of this fabric GitOps directory. Do not edit.\n"), b...), nil
}

// kustomizationBytes lists the managed files, relative to managed/.
func kustomizationBytes(files []string) []byte {
	var b bytes.Buffer
	b.WriteString("# Generated by hnp-gitops: every managed custom resource of this fabric. Do not edit.\n")
	b.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:")
	if len(files) == 0 {
		b.WriteString(" []\n")
		return b.Bytes()
	}
	b.WriteByte('\n')
	for _, f := range files {
		b.WriteString("- ")
		if plainSafe(f) {
			b.WriteString(f)
		} else {
			b.WriteString(strconv.Quote(f))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// plainSafe reports whether s can be written as a plain YAML scalar and
// read back as the same string.
func plainSafe(s string) bool {
	if s == "" || s[0] == '-' || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '/') {
			return false
		}
	}
	return strings.ContainsRune(s, '/')
}

// logEntry is one entry of the archive log. The first three fields are the
// identity used to avoid appending the same "kept" entry on every run.
type logEntry struct {
	Source       string   `yaml:"source"`
	Blob         string   `yaml:"blob"`
	Action       string   `yaml:"action"`
	ParentCommit string   `yaml:"parent_commit,omitempty"`
	Reason       string   `yaml:"reason,omitempty"`
	RenamedTo    string   `yaml:"renamed_to,omitempty"`
	Outputs      []string `yaml:"outputs,omitempty"`
}

func encodeEntries(es []logEntry) ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(es); err != nil {
		return nil, err
	}
	return encode(&n)
}
