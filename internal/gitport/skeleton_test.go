package gitport

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/pkg/fgd"
)

func TestWriterKey(t *testing.T) {
	t.Parallel()
	r := Repo{Host: "github.com", Owner: "o", Name: "r"}
	if got := (Target{Repo: r, Branch: "main"}).WriterKey(); got != "github.com/o/r@main" {
		t.Errorf("direct push key = %q", got)
	}
	if got := (Target{Repo: r, Branch: "main", PullRequestBranch: "hnp"}).WriterKey(); got != "github.com/o/r@hnp" {
		t.Errorf("pull-request key = %q, want the branch written", got)
	}
}

// EffectiveChanges keeps the last change per path, drops what the head
// already holds and deletes of missing paths, and refuses a write by
// reference to a blob the head does not hold.
func TestEffectiveChanges(t *testing.T) {
	t.Parallel()
	same, other := []byte("a: 1\n"), []byte("a: 2\n")
	index := map[string]fgd.Entry{
		"d/same.yaml":  {Path: "d/same.yaml", Type: fgd.TypeFile, SHA: fgd.BlobSHA(same)},
		"d/old.yaml":   {Path: "d/old.yaml", Type: fgd.TypeFile, SHA: fgd.BlobSHA(same)},
		"d/big.yaml":   {Path: "d/big.yaml", Type: fgd.TypeFile, SHA: "0123456789abcdef0123456789abcdef01234567"},
		"d/module":     {Path: "d/module", Type: fgd.TypeSubmodule, SHA: "89abcdef0123456789abcdef0123456789abcdef"},
		"d/same.link":  {Path: "d/same.link", Type: fgd.TypeSymlink, SHA: fgd.BlobSHA(same)},
		"other/x.yaml": {Path: "other/x.yaml", Type: fgd.TypeFile},
	}
	known := func(sha string) bool { return sha == index["d/big.yaml"].SHA }
	in := []fgd.Change{
		{Path: "d/same.yaml", Op: fgd.OpUpdate, Content: other},
		{Path: "d/same.yaml", Op: fgd.OpUpdate, Content: same}, // the last change wins: already there
		{Path: "d/new.yaml", Op: fgd.OpUpdate, Content: other},
		{Path: "d/old.yaml", Op: fgd.OpDelete},
		{Path: "d/missing.yaml", Op: fgd.OpDelete},
		{Path: "d/module", Op: fgd.OpDelete},
		{Path: "d/moved/big.yaml", Op: fgd.OpUpdate, SHA: index["d/big.yaml"].SHA, From: "d/big.yaml"},
		{Path: "d/same.link", Op: fgd.OpUpdate, Content: same}, // a symlink becomes a file
	}
	got, err := EffectiveChanges(in, []string{"d"}, index, known)
	if err != nil {
		t.Fatal(err)
	}
	want := []Effective{
		{Path: "d/module", Delete: true, Current: index["d/module"]},
		{Path: "d/moved/big.yaml", SHA: index["d/big.yaml"].SHA, Ref: true},
		{Path: "d/new.yaml", SHA: fgd.BlobSHA(other), Content: other},
		{Path: "d/old.yaml", Delete: true, Current: index["d/old.yaml"]},
		{Path: "d/same.link", SHA: fgd.BlobSHA(same), Content: same},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("EffectiveChanges (-want +got):\n%s", d)
	}
	for name, bad := range map[string]fgd.Change{
		"unknown blob":      {Path: "d/x.yaml", Op: fgd.OpUpdate, SHA: "fedcba9876543210fedcba9876543210fedcba98"},
		"blob with content": {Path: "d/x.yaml", Op: fgd.OpUpdate, SHA: index["d/big.yaml"].SHA, Content: same},
		"outside the FGD":   {Path: "other/x.yaml", Op: fgd.OpUpdate, Content: same},
		"escapes the FGD":   {Path: "d/../other/x.yaml", Op: fgd.OpUpdate, Content: same},
	} {
		if _, err := EffectiveChanges([]fgd.Change{bad}, []string{"d"}, index, known); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

// Snapshots reads only the wanted regular files of each FGD.
func TestSnapshots(t *testing.T) {
	t.Parallel()
	listing := map[string][]fgd.Entry{
		"a": {{Path: "raw/x.yaml", Type: fgd.TypeFile}, {Path: "raw/l.yaml", Type: fgd.TypeSymlink}, {Path: "README.md", Type: fgd.TypeFile}},
		"b": {{Path: "raw/y.yaml", Type: fgd.TypeExecutable}},
	}
	wanted := func(es []fgd.Entry) []string {
		var out []string
		for _, e := range es {
			if e.Path != "README.md" {
				out = append(out, e.Path)
			}
		}
		return append(out, "raw/absent.yaml")
	}
	var reads []string
	snaps, err := Snapshots([]string{"a", "b"}, listing, wanted, func(dir string, e fgd.Entry) ([]byte, error) {
		reads = append(reads, dir+":"+e.Path)
		return []byte(e.Path), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a:raw/x.yaml", "b:raw/y.yaml"}, reads); d != "" {
		t.Errorf("reads (-want +got):\n%s", d)
	}
	if len(snaps["a"].Entries) != 3 || string(snaps["b"].Contents["raw/y.yaml"]) != "raw/y.yaml" {
		t.Errorf("snapshots = %+v", snaps)
	}
	boom := errors.New("boom")
	if _, err := Snapshots([]string{"a"}, listing, wanted, func(string, fgd.Entry) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("read error = %v, want boom", err)
	}
}

// Rounds retries a conflict up to Max rounds, stops at any other outcome,
// and holds the branch's lock throughout.
func TestRounds(t *testing.T) {
	t.Parallel()
	conflict := &Error{Class: ClassConflict}
	fail := func(_ Target, class Class, op, msg string, err error) error {
		return &Error{Class: class, Op: op, Message: msg, Err: err}
	}
	newRounds := func() *Rounds {
		return &Rounds{Max: 3, Sleep: func(context.Context, time.Duration) error { return nil }, Rand: func() float64 { return 0.5 }, Fail: fail}
	}
	tg := Target{Repo: Repo{Host: "h", Owner: "o", Name: "r"}, Branch: "main"}
	for _, tc := range []struct {
		name     string
		results  []error
		attempts int
		class    Class
	}{
		{"first round", []error{nil}, 1, ""},
		{"conflict then success", []error{conflict, nil}, 2, ""},
		{"conflicts exhausted", []error{conflict, conflict, conflict, nil}, 3, ClassConflict},
		{"terminal error not retried", []error{&Error{Class: ClassAuth}, nil}, 1, ClassAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRounds()
			n := 0
			res, err := r.Run(t.Context(), tg, func() (func() (Result, error), error) {
				return func() (Result, error) {
					n++
					return Result{}, tc.results[n-1]
				}, nil
			})
			if res.Attempts != tc.attempts || n != tc.attempts || ClassOf(err) != tc.class {
				t.Errorf("attempts %d (rounds %d), class %q; want %d, %q", res.Attempts, n, ClassOf(err), tc.attempts, tc.class)
			}
		})
	}
	// A second writer of the branch waits; its context ending is a
	// transient failure, not a write.
	r := newRounds()
	var inside atomic.Bool
	release := make(chan struct{})
	go r.Run(t.Context(), tg, func() (func() (Result, error), error) { //nolint:errcheck // the holder
		inside.Store(true)
		<-release
		return func() (Result, error) { return Result{}, nil }, nil
	})
	for !inside.Load() {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := r.Run(ctx, tg, func() (func() (Result, error), error) {
		t.Error("second writer got the lock")
		return nil, nil
	})
	close(release)
	if ClassOf(err) != ClassTransient {
		t.Errorf("waiting writer: %v, want a transient error", err)
	}
}
