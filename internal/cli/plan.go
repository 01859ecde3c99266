package cli

import (
	"context" //nolint:gosec // git object ids are SHA-1 by definition
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/githedgehog/hnp-gitops/internal/config"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/localdir"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

type planOptions struct {
	dir, fabricName, archive, output, repoDir, crdDir string
	fabricID                                          int64
	apply                                             bool

	// Remote mode: the FGD at path in the branch of repoURL.
	repoURL, branch, path string
	git                   config.Config
}

func newPlanCmd(env *Env) *cobra.Command {
	var o planOptions
	cmd := &cobra.Command{
		Use:   "plan (--dir DIR | --repo-url URL --path FGD) --fabric-name NAME",
		Short: "Show what hnp-gitops would change in a fabric GitOps directory, local or at a branch head",
		Long: `plan runs the FGD engine the service uses.

On a directory on disk (--dir): DIR is the fabric GitOps directory itself
(raw/, managed/ ... or YAML files in the old flat layout). Without --apply
nothing is changed and the plan is printed; with --apply the change set is
written into DIR. Symlinks are listed but never followed, read or written
through.

On a repository (--repo-url, --branch, --path): the FGD at the head of the
branch is read exactly as serve reads it (GitHub's API for github.com and
--github-enterprise-hosts, the git protocol for other hosts, with the same
credential flags) and the plan is printed. It is always a dry run: nothing
is written to the repository.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.repoURL != "" {
				return runRemotePlan(cmd.Context(), env.Stdout, o)
			}
			return runPlan(env.Stdout, o, cmd.Flags().Changed("repo-dir"))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "", "the fabric GitOps directory to plan, on disk")
	f.StringVar(&o.repoURL, "repo-url", "", "plan the FGD in this repository instead (https://host/owner/repo or git@host:owner/repo.git); a dry run")
	f.StringVar(&o.branch, "branch", "main", "with --repo-url: the branch")
	f.StringVar(&o.path, "path", "/", "with --repo-url: the fabric's gitops_directory in the repository")
	o.git.RegisterGitFlags(f)
	f.StringVar(&o.fabricName, "fabric-name", "", "the fabric's name, written into every managed file (required)")
	f.Int64Var(&o.fabricID, "fabric", 0, "the fabric's NetBox id, recorded in .hnp/manifest.yaml")
	f.Int64Var(&o.fabricID, "fabric-id", 0, "the former name of --fabric")
	_ = f.MarkDeprecated("fabric-id", "use --fabric")
	f.StringVar(&o.archive, "archive-strategy", string(fgd.ArchiveDelete), "what happens to ingested source files: delete or rename_with_extension")
	f.StringVar(&o.repoDir, "repo-dir", "", "the directory's path in its repository, for the source annotation (default: found from the enclosing git work tree)")
	f.BoolVar(&o.apply, "apply", false, "write the change set into DIR")
	f.StringVar(&o.crdDir, "crd-dir", "", config.CRDDirUsage)
	f.StringVar(&o.output, "output", "text", "output format: text or json")
	return cmd
}

// checkPlanOptions checks what both modes share.
func checkPlanOptions(o planOptions) error {
	switch {
	case o.fabricName == "":
		return usagef("plan: --fabric-name is required")
	case o.output != "text" && o.output != "json":
		return usagef("plan: --output must be text or json, not %q", o.output)
	case o.archive != string(fgd.ArchiveDelete) && o.archive != string(fgd.ArchiveRename):
		return usagef("plan: --archive-strategy must be %s or %s, not %q", fgd.ArchiveDelete, fgd.ArchiveRename, o.archive)
	}
	return nil
}

func runPlan(w io.Writer, o planOptions, repoDirSet bool) error {
	if o.dir == "" {
		return usagef("plan: --dir or --repo-url is required")
	}
	if err := checkPlanOptions(o); err != nil {
		return err
	}
	if !repoDirSet {
		o.repoDir = localdir.RepoPath(o.dir)
	}
	repoDir, err := fgd.CheckDir(o.repoDir)
	if err != nil {
		return usagef("plan: --repo-dir: %w", err)
	}
	schemas, err := loadSchemas(o.crdDir)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(o.dir)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	defer root.Close()
	snap, err := localdir.Read(root)
	if err != nil {
		return fmt.Errorf("plan: read %s: %w", o.dir, err)
	}
	res, err := fgd.Compute(snap, fgd.Settings{
		FabricID: o.fabricID, FabricName: o.fabricName, ArchiveStrategy: fgd.ArchiveStrategy(o.archive), RepoDir: repoDir,
		Schemas: schemas,
	})
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if o.apply {
		if err := localdir.Apply(root, res.Changes); err != nil {
			return fmt.Errorf("plan: apply: %w", err)
		}
	}
	if o.output == "json" {
		return writePlanJSON(w, o, res)
	}
	writePlanText(w, o, res)
	return nil
}

// runRemotePlan plans the FGD at the head of a repository's branch through
// the same repository port serve uses, with a plan function that records
// the result and proposes nothing: the port then makes no write request.
func runRemotePlan(ctx context.Context, w io.Writer, o planOptions) error {
	switch {
	case o.dir != "":
		return usagef("plan: --dir and --repo-url exclude each other")
	case o.apply:
		return usagef("plan: --apply works on --dir only; against a repository, plan is a dry run (serve writes)")
	}
	if err := checkPlanOptions(o); err != nil {
		return err
	}
	repo, err := gitport.ParseURL(o.repoURL)
	if err != nil {
		return usagef("plan: --repo-url: %v", err)
	}
	dir, err := fgd.CheckDir(o.path)
	if err != nil {
		return usagef("plan: --path: %v", err)
	}
	schemas, err := loadSchemas(o.crdDir)
	if err != nil {
		return err
	}
	o.git.GitHubRetryMax = 1 // one-shot: an unreachable host is reported at once
	if err := o.git.LoadSecrets(nil); err != nil {
		return usageError{err}
	}
	tokens, err := loadTokens(&o.git)
	if err != nil {
		return err
	}
	base, err := baseTransport(o.git.CAFile)
	if err != nil {
		return err
	}
	repos, _, err := newRepositories(&o.git, tokens, nil, base)
	if err != nil {
		return err
	}
	var res *fgd.Result
	_, err = repos.Apply(ctx, gitport.Target{Repo: repo, Branch: o.branch}, []string{dir},
		func(head string, snaps map[string]fgd.Snapshot) (gitport.Proposal, error) {
			r, err := fgd.Compute(snaps[dir], fgd.Settings{
				FabricID: o.fabricID, FabricName: o.fabricName, ArchiveStrategy: fgd.ArchiveStrategy(o.archive),
				RepoDir: dir, ParentCommit: head, Schemas: schemas,
			})
			res = r
			return gitport.Proposal{}, err
		})
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	o.dir = fmt.Sprintf("%s@%s:/%s", repo, o.branch, dir)
	if o.output == "json" {
		return writePlanJSON(w, o, res)
	}
	writePlanText(w, o, res)
	return nil
}

type planJSON struct {
	Dir       string           `json:"dir"`
	Fabric    planFabric       `json:"fabric"`
	Summary   string           `json:"summary"`
	Applied   bool             `json:"applied"`
	Counts    map[string]int   `json:"counts"`
	Changes   []fgd.Change     `json:"changes"`
	Documents []fgd.Document   `json:"documents"`
	Sources   []fgd.SourceFile `json:"sources"`
	Conflicts []fgd.Conflict   `json:"conflicts"`
}

type planFabric struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func writePlanJSON(w io.Writer, o planOptions, res *fgd.Result) error {
	out := planJSON{
		Dir: o.dir, Fabric: planFabric{ID: o.fabricID, Name: o.fabricName}, Summary: res.Summary,
		Applied: o.apply && len(res.Changes) > 0, Counts: res.Counts(),
		Changes: nonNilSlice(res.Changes), Documents: nonNilSlice(res.Documents),
		Sources: nonNilSlice(res.Sources), Conflicts: nonNilSlice(res.Conflicts),
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writePlanText(w io.Writer, o planOptions, res *fgd.Result) {
	fmt.Fprintf(w, "%s (%s)\n", res.Summary, o.dir)
	for _, ch := range res.Changes {
		fmt.Fprintf(w, "  %-6s %s\n", ch.Op, ch.Path)
	}
	if len(res.Documents) > 0 {
		fmt.Fprintln(w)
		for _, d := range res.Documents {
			what := strings.TrimSpace(d.Kind + " " + d.Name)
			if what == "" {
				what = "(file)"
			}
			line := fmt.Sprintf("  %-9s %s  %s", d.Placement, d.Source, what)
			if d.Destination != "" {
				line += "  -> " + d.Destination
			}
			if d.Reason != "" {
				line += "  (" + d.Reason + ")"
			}
			if d.Note != "" {
				line += "  (" + d.Note + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, res.Body())
	for _, c := range res.Conflicts {
		fmt.Fprintf(w, "conflict: %s: both files stay in raw/ until it is resolved\n", c)
	}
	switch {
	case len(res.Changes) == 0:
		fmt.Fprintln(w, "Nothing to change.")
	case o.apply:
		fmt.Fprintf(w, "Applied %s to %s.\n", changes(len(res.Changes)), o.dir)
	case o.repoURL != "":
		fmt.Fprintf(w, "Dry run: a reconcile would commit %s in one commit.\n", these(len(res.Changes)))
	default:
		fmt.Fprintf(w, "Run again with --apply to write %s.\n", these(len(res.Changes)))
	}
}

// changes is "1 change" or "n changes".
func changes(n int) string {
	if n == 1 {
		return "1 change"
	}
	return fmt.Sprintf("%d changes", n)
}

// these is "this change" or "these n changes".
func these(n int) string {
	if n == 1 {
		return "this change"
	}
	return "these " + changes(n)
}
