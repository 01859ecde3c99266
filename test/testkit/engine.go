package testkit

import (
	"strings"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

// AcceptanceTrailer is the trailer EnginePlan puts under the summaries.
const AcceptanceTrailer = "NetBox-Object: netbox_hedgehog.hedgehogfabric:1"

// Plan returns the real engine as a gitport.PlanFunc: fgd.Compute with
// settings s for each FGD (RepoDir and ParentCommit set to the FGD and the
// head), the changes' paths prefixed with the FGD, and a message of the
// summaries joined with "; ", a blank line and AcceptanceTrailer.
func Plan(s fgd.Settings) gitport.PlanFunc {
	return func(head string, dirs map[string]fgd.Snapshot) (gitport.Proposal, error) {
		var p gitport.Proposal
		var summaries []string
		for dir, snap := range dirs {
			ds := s
			ds.RepoDir, ds.ParentCommit = dir, head
			res, err := fgd.Compute(snap, ds)
			if err != nil {
				return p, err
			}
			for _, c := range res.Changes {
				if dir != "" {
					c.Path = dir + "/" + c.Path
				}
				p.Changes = append(p.Changes, c)
			}
			summaries = append(summaries, res.Summary)
		}
		p.Message = strings.Join(summaries, "; ") + "\n\n" + AcceptanceTrailer
		return p, nil
	}
}

// EnginePlan is the real engine for fabric 1 "fabric-1" with the default
// settings, as a gitport.PlanFunc.
func EnginePlan(head string, dirs map[string]fgd.Snapshot) (gitport.Proposal, error) {
	return Plan(fgd.Settings{FabricID: 1, FabricName: "fabric-1"})(head, dirs)
}
