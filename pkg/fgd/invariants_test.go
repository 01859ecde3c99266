package fgd

import (
	"strings"
	"testing"
)

// assertInvariants checks what must hold for any input: every change is
// inside the layout and consistent with the listing, every document of
// every processed source is accounted for exactly once, and managed files
// are what they claim to be.
func assertInvariants(t *testing.T, in tree, st Settings, res *Result) {
	t.Helper()
	lim := st.Limits.withDefaults()
	seen := map[string]bool{}
	for i, ch := range res.Changes {
		if i > 0 && res.Changes[i-1].Path >= ch.Path {
			t.Errorf("changes not sorted or duplicated at %q", ch.Path)
		}
		if seen[ch.Path] {
			t.Errorf("two changes for %q", ch.Path)
		}
		seen[ch.Path] = true
		if !insideLayout(in, ch.Path) {
			t.Errorf("change outside the layout: %s %q", ch.Op, ch.Path)
		}
		_, exists := in[ch.Path]
		switch ch.Op {
		case OpCreate:
			if exists {
				t.Errorf("create of existing %q", ch.Path)
			}
		case OpUpdate:
			sha := BlobSHA(ch.Content)
			if ch.SHA != "" {
				sha = ch.SHA
			}
			if !exists || BlobSHA(in[ch.Path]) == sha {
				t.Errorf("update of %q is not a real difference", ch.Path)
			}
		case OpDelete:
			if !exists {
				t.Errorf("delete of missing %q", ch.Path)
			}
			if !isCandidate(ch.Path) {
				t.Errorf("delete of %q, which is not a source file", ch.Path)
			}
		}
		if ch.SHA != "" || ch.From != "" {
			// A write by reference: only a raw/ source over the limit,
			// to unmanaged/ or its archived copy, never read.
			src, ok := in[ch.From]
			if ch.Op == OpDelete || ch.Content != nil || !ok || BlobSHA(src) != ch.SHA ||
				!strings.HasPrefix(ch.From, "raw/") || int64(len(src)) <= lim.MaxFileBytes ||
				(!strings.HasPrefix(ch.Path, "unmanaged/") && !strings.HasPrefix(ch.Path, ch.From)) {
				t.Errorf("write by reference %+v does not name an oversized raw/ source", ch)
			}
		}
	}
	// Every document of every source file is placed exactly once.
	placed := map[string]int{}
	for _, d := range res.Documents {
		placed[d.Source]++
		switch d.Placement {
		case PlacementManaged:
			if !strings.HasPrefix(d.Destination, "managed/") || d.Reason != "" {
				t.Errorf("managed document %+v", d)
			}
		case PlacementUnmanaged:
			if !strings.HasPrefix(d.Destination, "unmanaged/") || d.Reason == "" {
				t.Errorf("unmanaged document without destination or reason: %+v", d)
			}
		case PlacementKept:
			if d.Destination != "" || d.Reason == "" {
				t.Errorf("kept document with a destination or without reason: %+v", d)
			}
		default:
			t.Errorf("document with placement %q", d.Placement)
		}
	}
	for src, n := range placed {
		if n != 1 {
			t.Errorf("%s placed %d times", src, n)
		}
	}
	after := in.apply(t, res.Changes)
	for _, s := range res.Sources {
		_, stays := after[s.Path]
		if stays != (s.Action == ActionKept) {
			t.Errorf("source %s with action %s: still present = %v", s.Path, s.Action, stays)
		}
		for _, o := range s.Outputs {
			if _, ok := after[o]; !ok {
				t.Errorf("source %s output %s missing after apply", s.Path, o)
			}
		}
	}
}

// insideLayout is the contract's list of what the engine may touch,
// written independently of the engine's own check.
func insideLayout(in tree, p string) bool {
	switch {
	case p == "README.md", p == ".hnp/manifest.yaml", p == ".hnp/archive-log.yaml":
		return true
	case strings.HasPrefix(p, "raw/"), strings.HasPrefix(p, "managed/"), strings.HasPrefix(p, "unmanaged/"):
		return !strings.Contains(p, "..") || !strings.Contains("/"+p+"/", "/../")
	case strings.Contains(p, "/"):
		return false
	}
	src := strings.TrimSuffix(p, ".archived")
	if _, ok := in[src]; ok {
		return true
	}
	if i := strings.LastIndex(src, "."); i > 0 {
		_, ok := in[src[:i]]
		return ok
	}
	return false
}
