package gitremote

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// attempt is one fetch-plan-push round on a fresh in-memory storage.
func (s *session) attempt(ctx context.Context, t gitport.Target, dirs []string, plan gitport.PlanFunc) (gitport.Result, error) {
	sto := memory.NewStorage()
	up, ar, rs, err := s.openUpload(ctx, t.Branch)
	if err != nil {
		return gitport.Result{}, err
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
	old, parent, err := s.base(rs, t)
	if err != nil {
		return gitport.Result{}, err
	}
	var root *object.Tree
	if !parent.IsZero() {
		if root, err = s.fetchRoot(ctx, up, ar, parent, sto); err != nil {
			return gitport.Result{}, err
		}
	}
	closeUp()
	head := ""
	if !parent.IsZero() {
		head = parent.String()
	}
	prop, changes, err := s.planChanges(sto, root, dirs, head, plan)
	if err != nil {
		return gitport.Result{}, err
	}
	w := &objectWriter{sto: sto}
	baseTree, newTree, err := s.writeTree(w, root, changes)
	if err != nil {
		return gitport.Result{}, err
	}
	unchanged := gitport.Result{Head: head, CommitURL: s.r.o.WebURL(s.repo, head)}
	if newTree == baseTree {
		if parent.IsZero() || !old.IsZero() {
			// Nothing to write (an empty repository stays empty).
			return unchanged, nil
		}
		// A missing branch is still created, at the remote HEAD.
		return unchanged, s.push(ctx, t.Branch, old, parent, nil, sto)
	}
	sha, err := s.commit(w, prop, newTree, parent)
	if err != nil {
		return unchanged, err
	}
	if err := s.push(ctx, t.Branch, old, sha, w.new, sto); err != nil {
		return unchanged, err
	}
	return gitport.Result{Head: sha.String(), Changed: true, CommitURL: s.r.o.WebURL(s.repo, sha.String())}, nil
}

// base says what the branch must still be at when the push lands (old;
// zero: the push creates it) and the commit the change goes on top of
// (parent; zero: the repository's first commit).
func (s *session) base(rs remoteState, t gitport.Target) (old, parent plumbing.Hash, err error) {
	switch {
	case rs.empty:
		// The first commit of the repository, on t.Branch.
	case !rs.branch.IsZero():
		old, parent = rs.branch, rs.branch
	case !t.CreateMissingBranch:
		err = newError(gitport.ClassNotFound, s.repo, "find branch "+t.Branch,
			fmt.Sprintf("branch %q does not exist (and creating it is not enabled)", t.Branch), nil)
	case rs.head.IsZero():
		err = newError(gitport.ClassEmpty, s.repo, "find branch "+t.Branch,
			fmt.Sprintf("branch %q does not exist and the remote HEAD names no commit to create it from", t.Branch), nil)
	default:
		parent = rs.head
	}
	return old, parent, err
}

// fetchRoot fetches parent and returns its tree.
func (s *session) fetchRoot(ctx context.Context, up transport.UploadPackSession, ar *packp.AdvRefs, parent plumbing.Hash, sto *memory.Storage) (*object.Tree, error) {
	if err := s.fetch(ctx, up, ar, parent, sto); err != nil {
		return nil, err
	}
	c, err := object.GetCommit(sto, parent)
	if err != nil {
		return nil, newError(gitport.ClassTransient, s.repo, "read commit "+parent.String(), "not in the fetched pack", err)
	}
	root, err := c.Tree()
	if err != nil {
		return nil, newError(gitport.ClassTransient, s.repo, "read tree of "+parent.String(), "not in the fetched pack", err)
	}
	return root, nil
}

// planChanges reads the FGDs under root, runs plan on them and returns the
// proposal with the changes the tree does not already hold.
func (s *session) planChanges(sto *memory.Storage, root *object.Tree, dirs []string, head string, plan gitport.PlanFunc) (gitport.Proposal, []change, error) {
	ht, err := readTree(sto, root, dirs)
	if err != nil {
		return gitport.Proposal{}, nil, newError(gitport.ClassTransient, s.repo, "read tree", err.Error(), err)
	}
	snaps, err := snapshots(sto, ht, dirs, s.r.o.Wanted)
	if err != nil {
		return gitport.Proposal{}, nil, newError(gitport.ClassTransient, s.repo, "read FGD contents", err.Error(), err)
	}
	prop, err := plan(head, snaps)
	if err != nil {
		return gitport.Proposal{}, nil, fmt.Errorf("git: %s: plan: %w", s.repo, err)
	}
	changes, err := ht.effective(prop.Changes, dirs)
	if err != nil {
		return gitport.Proposal{}, nil, newError(gitport.ClassInvalid, s.repo, "plan", err.Error(), err)
	}
	return prop, changes, nil
}

// writeTree writes the new root tree; baseTree is root's hash (zero when
// there is none), newTree equals it when nothing changed.
func (s *session) writeTree(w *objectWriter, root *object.Tree, changes []change) (baseTree, newTree plumbing.Hash, err error) {
	if root != nil {
		baseTree = root.Hash
	}
	newTree = baseTree
	if len(changes) == 0 {
		return baseTree, newTree, nil
	}
	if newTree, err = w.rewrite(baseTree, changes); err != nil {
		return baseTree, newTree, newError(gitport.ClassInvalid, s.repo, "write tree", err.Error(), err)
	}
	if newTree.IsZero() {
		// Every path removed: the commit holds the empty tree.
		if newTree, err = w.tree(nil); err != nil {
			return baseTree, newTree, newError(gitport.ClassInvalid, s.repo, "write tree", err.Error(), err)
		}
	}
	return baseTree, newTree, nil
}

// commit writes the commit of prop on tree, with parent unless zero.
func (s *session) commit(w *objectWriter, prop gitport.Proposal, tree, parent plumbing.Hash) (plumbing.Hash, error) {
	now := s.r.o.Now()
	commit := &object.Commit{
		Author:    object.Signature{Name: s.r.o.Author.Name, Email: s.r.o.Author.Email, When: now},
		Committer: object.Signature{Name: s.r.o.Committer.Name, Email: s.r.o.Committer.Email, When: now},
		Message:   message(prop),
		TreeHash:  tree,
	}
	if !parent.IsZero() {
		commit.ParentHashes = []plumbing.Hash{parent}
	}
	sha, err := w.object(plumbing.CommitObject, commit)
	if err != nil {
		return sha, newError(gitport.ClassInvalid, s.repo, "write commit", err.Error(), err)
	}
	return sha, nil
}

func message(p gitport.Proposal) string {
	m := p.Message
	if strings.TrimSpace(m) == "" {
		m = "Update GitOps directories"
	}
	if !strings.HasSuffix(m, "\n") {
		m += "\n"
	}
	return m
}
