package fgd

import "strings"

// ArchiveStrategy is what happens to a source file once all its documents
// are placed.
type ArchiveStrategy string

// The archive strategies the engine implements.
const (
	// ArchiveDelete removes the source file; git history keeps it and the
	// archive log names its blob and the parent commit.
	ArchiveDelete ArchiveStrategy = "delete"
	// ArchiveRename renames the source file to <path>.archived.
	ArchiveRename ArchiveStrategy = "rename_with_extension"
)

// ParseArchiveStrategy maps the HNP fabric's archive_strategy to one the
// engine implements. HNP's rename_with_extension renames; its other values
// (move_to_archive_dir, backup_with_timestamp, none) all delete, because git
// history is the archive and a timestamped copy would put wall-clock time into
// the tree. "" and unknown values give def (ArchiveDelete when def is "").
func ParseArchiveStrategy(hnpValue string, def ArchiveStrategy) ArchiveStrategy {
	if def == "" {
		def = ArchiveDelete
	}
	switch strings.ToLower(strings.TrimSpace(hnpValue)) {
	case "rename_with_extension", "rename":
		return ArchiveRename
	case "delete", "move_to_archive_dir", "backup_with_timestamp", "none":
		return ArchiveDelete
	}
	return def
}

// Limits bound the work one hostile file can cause. A file that breaks one is
// moved whole, byte for byte, to unmanaged/ with the reason.
type Limits struct {
	// MaxFileBytes is the largest source file parsed.
	MaxFileBytes int64
	// MaxDocuments is the most YAML documents one file may hold.
	MaxDocuments int
	// MaxAliases bounds alias expansion: the number of nodes that
	// resolving every alias (and merge key) of one document would copy.
	// An alias to a scalar costs 1, an alias to a list of 100 scalars 101.
	MaxAliases int
	// MaxDepth is the deepest nesting of mappings and sequences allowed,
	// counting through aliases.
	MaxDepth int
}

// DefaultLimits are used for every zero field of Settings.Limits. A Hedgehog
// fabric of a thousand connections is a few hundred KiB and nests about ten
// levels deep. The worst file within these limits (a 1 MiB flow list of
// half a million scalars) takes under a second and about 120 MiB of
// transient memory for the parser's node tree.
var DefaultLimits = Limits{
	MaxFileBytes: 1 << 20,
	MaxDocuments: 10000,
	MaxAliases:   100000,
	MaxDepth:     64,
}

func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultLimits.MaxFileBytes
	}
	if l.MaxDocuments <= 0 {
		l.MaxDocuments = DefaultLimits.MaxDocuments
	}
	if l.MaxAliases <= 0 {
		l.MaxAliases = DefaultLimits.MaxAliases
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	return l
}

// Settings are the inputs of Compute besides the snapshot.
type Settings struct {
	FabricID        int64
	FabricName      string
	ArchiveStrategy ArchiveStrategy // "" = ArchiveDelete
	// RepoDir is the FGD's path in the repository ("" = root), as returned
	// by CheckDir. It only appears in the source annotation
	// "<path in repo>#<index>" of managed files.
	RepoDir string
	// ParentCommit is the commit the change set applies to; it is
	// recorded in the archive log.
	ParentCommit string
	Limits       Limits // zero fields = DefaultLimits
	// Schemas, when set, checks every managed custom resource against its
	// CRD schema; one that fails goes to unmanaged/ with the problems as
	// its reason (Document.Schema, Result.SchemaProblems). nil: no check.
	Schemas SchemaChecker
}
