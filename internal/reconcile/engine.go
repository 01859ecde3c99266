package reconcile

import (
	"strings"

	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// Engine is the pure FGD engine as the reconciler uses it. FGD (the
// default) adapts pkg/fgd; tests use a fake.
type Engine interface {
	// CheckDir validates and cleans a fabric's gitops_directory ("" is the
	// repository root). Its error is the one-line reason for the
	// invalid_structure status.
	CheckDir(dir string) (string, error)
	// Plan computes one FGD's change set from its snapshot at head. Paths
	// in DirPlan.Changes are relative to the FGD.
	Plan(snap fgd.Snapshot, in PlanInput) (DirPlan, error)
}

// PlanInput is what the engine needs to know about one fabric.
type PlanInput struct {
	FabricID   int64
	FabricName string
	// ArchiveStrategy is the fabric's own archive_strategy as HNP stores it
	// ("" when absent); DefaultArchiveStrategy is the service's default.
	ArchiveStrategy        string
	DefaultArchiveStrategy string
	RepoDir                string // the FGD path in the repository, "" = root
	ParentCommit           string // the head the plan is computed on
}

// DirPlan is one FGD's share of a commit.
type DirPlan struct {
	Changes []fgd.Change
	// Summary is the engine's one-line commit summary for this FGD alone.
	Summary string
	// Body lines describe the counts (documents ingested, placed by kind,
	// files moved) and the conflicts, for the commit body.
	Body []string
	// Placed counts source documents by placement (managed, unmanaged,
	// kept), as the documents_placed_total metric wants them.
	Placed map[string]int
	// Conflicts are one-line descriptions of documents that could not be
	// placed (the same kind and name twice with different content).
	Conflicts []string
	// Rejected are one-line descriptions of custom resources that failed
	// their CRD schema and went to unmanaged/: source, kind, name, field
	// paths and messages.
	Rejected []string
}

// FGD is the Engine of pkg/fgd, the default.
type FGD struct {
	// Limits bound the work one hostile file can cause; zero fields are
	// fgd.DefaultLimits.
	Limits fgd.Limits
	// Schemas checks every managed custom resource against its CRD
	// schema; nil: no check.
	Schemas fgd.SchemaChecker
}

// CheckDir is fgd.CheckDir.
func (FGD) CheckDir(dir string) (string, error) { return fgd.CheckDir(dir) }

// Plan runs fgd.Compute. The fabric's archive strategy wins over the
// service default.
func (e FGD) Plan(snap fgd.Snapshot, in PlanInput) (DirPlan, error) {
	r, err := fgd.Compute(snap, fgd.Settings{
		FabricID:        in.FabricID,
		FabricName:      in.FabricName,
		ArchiveStrategy: fgd.ParseArchiveStrategy(in.ArchiveStrategy, fgd.ArchiveStrategy(in.DefaultArchiveStrategy)),
		RepoDir:         in.RepoDir,
		ParentCommit:    in.ParentCommit,
		Limits:          e.Limits,
		Schemas:         e.Schemas,
	})
	if err != nil {
		return DirPlan{}, err
	}
	dp := DirPlan{
		Changes: r.Changes,
		Summary: r.Summary,
		Placed:  r.Counts(),
	}
	if body := strings.TrimRight(r.Body(), "\n"); body != "" {
		dp.Body = strings.Split(body, "\n")
	}
	for _, c := range r.Conflicts {
		dp.Conflicts = append(dp.Conflicts, c.String())
	}
	dp.Rejected = r.SchemaProblems()
	return dp, nil
}
