package githubapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/pkg/fgd"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

// Plans that are not the engine's: binary content, moves, no-ops, bad
// paths, errors.
func TestApplyPlans(t *testing.T) {
	t.Parallel()
	binary := []byte{0xff, 0x00, 0xfe, 'x'}
	keep := []byte("keep\n")
	errPlan := errors.New("engine bug")
	tests := []struct {
		name      string
		changes   []fgd.Change
		planErr   error
		class     gitport.Class
		changed   bool
		want      map[string]string // path → content after; "" = absent
		maxWrites int
	}{
		{name: "binary content is uploaded as a blob", changes: []fgd.Change{{Path: fgdDir + "/unmanaged/bin.dat", Op: fgd.OpCreate, Content: binary}},
			changed: true, want: map[string]string{fgdDir + "/unmanaged/bin.dat": string(binary)}, maxWrites: 4},
		{name: "a move reuses the blob", changes: []fgd.Change{
			{Path: fgdDir + "/raw/keep.txt", Op: fgd.OpDelete}, {Path: fgdDir + "/unmanaged/keep.txt", Op: fgd.OpCreate, Content: keep}},
			changed: true, want: map[string]string{fgdDir + "/raw/keep.txt": "", fgdDir + "/unmanaged/keep.txt": string(keep)}, maxWrites: 3},
		{name: "same content and missing deletes are no-ops", changes: []fgd.Change{
			{Path: fgdDir + "/raw/keep.txt", Op: fgd.OpUpdate, Content: keep}, {Path: fgdDir + "/raw/none.txt", Op: fgd.OpDelete}},
			changed: false, want: map[string]string{fgdDir + "/raw/keep.txt": string(keep)}},
		{name: "an empty file", changes: []fgd.Change{{Path: fgdDir + "/raw/.gitkeep", Op: fgd.OpCreate}},
			changed: true, want: map[string]string{fgdDir + "/raw/.gitkeep": ""}, maxWrites: 3},
		{name: "outside the FGD", changes: []fgd.Change{{Path: "other/x.yaml", Op: fgd.OpCreate, Content: keep}}, class: gitport.ClassInvalid},
		{name: "dot-dot", changes: []fgd.Change{{Path: fgdDir + "/../x.yaml", Op: fgd.OpCreate, Content: keep}}, class: gitport.ClassInvalid},
		{name: "into .git", changes: []fgd.Change{{Path: fgdDir + "/.git/config", Op: fgd.OpCreate, Content: keep}}, class: gitport.ClassInvalid},
		{name: "plan error", planErr: errPlan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, githubsim.Options{}, nil)
			if _, err := e.sim.SeedFiles(owner, name, "main", map[string][]byte{fgdDir + "/raw/keep.txt": keep}, "seed"); err != nil {
				t.Fatal(err)
			}
			e.sim.ResetStats()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := e.gh.Apply(ctx, gitport.Target{Repo: e.repo, Branch: "main"}, []string{fgdDir},
				func(string, map[string]fgd.Snapshot) (gitport.Proposal, error) {
					return gitport.Proposal{Changes: tc.changes, Message: tc.name}, tc.planErr
				})
			st := e.sim.Stats()
			switch {
			case tc.planErr != nil:
				if !errors.Is(err, errPlan) {
					t.Fatalf("Apply = %v, want the plan's error", err)
				}
			case tc.class != "":
				if gitport.ClassOf(err) != tc.class {
					t.Fatalf("Apply = %v, want %s", err, tc.class)
				}
			case err != nil:
				t.Fatalf("Apply: %v", err)
			}
			if res.Changed != tc.changed {
				t.Errorf("Changed = %v, want %v", res.Changed, tc.changed)
			}
			if st.Writes > tc.maxWrites || st.EmptyCommits != 0 {
				t.Errorf("%d writes (max %d), %d empty commits: %v", st.Writes, tc.maxWrites, st.EmptyCommits, st.Requests)
			}
			if tc.want == nil {
				return
			}
			files := testkit.Clone(t, e.bare, "main")
			for p, want := range tc.want {
				got, ok := files[p]
				if want == "" && p != fgdDir+"/raw/.gitkeep" {
					if ok {
						t.Errorf("%s still present", p)
					}
					continue
				}
				if !ok || got != want {
					t.Errorf("%s = %q (present %v), want %q", p, got, ok, want)
				}
			}
		})
	}
}
