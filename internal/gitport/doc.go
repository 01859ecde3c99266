// Package gitport is the repository port: what a fabric GitOps directory
// (FGD) looks like at a branch head (fgd.Snapshot), the plan a caller gives
// (PlanFunc, Proposal), what landing it returns (Result) and how it fails
// (Error and its Class), with the checks every adapter holds a plan to
// (CheckTarget, LastChanges, ValidPath, ValidRef), the per-branch writer
// lock (KeyedMutex, BranchKey) and the Router that picks an adapter by host.
//
// It imports no adapter and no client library. The adapters sit beside each
// other: githubapi (GitHub's REST API through go-github) and gitremote (any
// git server over the git protocol through go-git).
package gitport
