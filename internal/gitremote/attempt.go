package gitremote

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/githedgehog/hnp-gitops/internal/gitrepo"
)

// attempt is one fetch-plan-push round on a fresh in-memory storage.
func (s *session) attempt(ctx context.Context, t gitrepo.Target, dirs []string, plan gitrepo.PlanFunc) (gitrepo.Result, error) {
	sto := memory.NewStorage()
	up, ar, rs, err := s.openUpload(ctx, t.Branch)
	if err != nil {
		return gitrepo.Result{}, err
	}
	// The upload-pack session (an SSH connection) is not needed after the
	// fetch: close it before planning and pushing.
	upOpen := true
	closeUp := func() {
		if upOpen {
			upOpen = false
			_ = up.Close()
		}
	}
	defer closeUp()

	// old is what the branch must still be at when the push lands (zero:
	// the push creates it); parent is the commit the change goes on top of.
	var old, parent plumbing.Hash
	switch {
	case rs.empty:
		// The first commit of the repository, on t.Branch.
	case !rs.branch.IsZero():
		old, parent = rs.branch, rs.branch
	case !t.CreateMissingBranch:
		return gitrepo.Result{}, newError(gitrepo.ClassNotFound, s.repo, "find branch "+t.Branch,
			fmt.Sprintf("branch %q does not exist (and creating it is not enabled)", t.Branch), nil)
	case rs.head.IsZero():
		return gitrepo.Result{}, newError(gitrepo.ClassEmpty, s.repo, "find branch "+t.Branch,
			fmt.Sprintf("branch %q does not exist and the remote HEAD names no commit to create it from", t.Branch), nil)
	default:
		parent = rs.head
	}

	var root *object.Tree
	if !parent.IsZero() {
		if err := s.fetch(ctx, up, ar, parent, sto); err != nil {
			return gitrepo.Result{}, err
		}
		c, err := object.GetCommit(sto, parent)
		if err != nil {
			return gitrepo.Result{}, newError(gitrepo.ClassTransient, s.repo, "read commit "+parent.String(), "not in the fetched pack", err)
		}
		if root, err = c.Tree(); err != nil {
			return gitrepo.Result{}, newError(gitrepo.ClassTransient, s.repo, "read tree of "+parent.String(), "not in the fetched pack", err)
		}
	}
	closeUp()
	ht, err := readTree(sto, root, dirs)
	if err != nil {
		return gitrepo.Result{}, newError(gitrepo.ClassTransient, s.repo, "read tree", err.Error(), err)
	}
	snaps, err := snapshots(sto, ht, dirs, s.r.o.Wanted)
	if err != nil {
		return gitrepo.Result{}, newError(gitrepo.ClassTransient, s.repo, "read FGD contents", err.Error(), err)
	}
	head := ""
	if !parent.IsZero() {
		head = parent.String()
	}
	prop, err := plan(head, snaps)
	if err != nil {
		return gitrepo.Result{}, fmt.Errorf("git: %s: plan: %w", s.repo, err)
	}
	changes, err := ht.effective(prop.Changes, dirs)
	if err != nil {
		return gitrepo.Result{}, newError(gitrepo.ClassInvalid, s.repo, "plan", err.Error(), err)
	}

	w := &objectWriter{sto: sto}
	var baseTree plumbing.Hash
	if root != nil {
		baseTree = root.Hash
	}
	newTree := baseTree
	if len(changes) > 0 {
		if newTree, err = w.rewrite(baseTree, changes); err != nil {
			return gitrepo.Result{}, newError(gitrepo.ClassInvalid, s.repo, "write tree", err.Error(), err)
		}
		if newTree.IsZero() {
			// Every path removed: the commit holds the empty tree.
			if newTree, err = w.tree(nil); err != nil {
				return gitrepo.Result{}, newError(gitrepo.ClassInvalid, s.repo, "write tree", err.Error(), err)
			}
		}
	}

	unchanged := gitrepo.Result{Head: head, CommitURL: s.r.o.WebURL(s.repo, head)}
	if newTree == baseTree {
		if parent.IsZero() || !old.IsZero() {
			// Nothing to write (an empty repository stays empty).
			return unchanged, nil
		}
		// A missing branch is still created, at the remote HEAD.
		if err := s.push(ctx, t.Branch, old, parent, nil, sto); err != nil {
			return unchanged, err
		}
		return unchanged, nil
	}

	now := s.r.o.Now()
	msg := message(prop)
	commit := &object.Commit{
		Author:    object.Signature{Name: s.r.o.Author.Name, Email: s.r.o.Author.Email, When: now},
		Committer: object.Signature{Name: s.r.o.Committer.Name, Email: s.r.o.Committer.Email, When: now},
		Message:   msg,
		TreeHash:  newTree,
	}
	if !parent.IsZero() {
		commit.ParentHashes = []plumbing.Hash{parent}
	}
	sha, err := w.object(plumbing.CommitObject, commit)
	if err != nil {
		return unchanged, newError(gitrepo.ClassInvalid, s.repo, "write commit", err.Error(), err)
	}
	if err := s.push(ctx, t.Branch, old, sha, w.new, sto); err != nil {
		return unchanged, err
	}
	return gitrepo.Result{Head: sha.String(), Changed: true, CommitURL: s.r.o.WebURL(s.repo, sha.String())}, nil
}

func message(p gitrepo.Proposal) string {
	m := p.Message
	if strings.TrimSpace(m) == "" {
		m = "Update GitOps directories"
	}
	if !strings.HasSuffix(m, "\n") {
		m += "\n"
	}
	return m
}
