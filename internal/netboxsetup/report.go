package netboxsetup

import (
	"fmt"
	"strings"
)

// Action is what Run did, or would do, to one object.
type Action string

// Actions.
const (
	Created     Action = "created"
	Updated     Action = "updated"
	Unchanged   Action = "unchanged"
	WouldCreate Action = "would create"
	WouldUpdate Action = "would update"
	Conflict    Action = "conflict"
	Skipped     Action = "skipped"
	Failed      Action = "failed"
)

// Item is one object in the report.
type Item struct {
	Kind   string // "choice set", "custom field", "webhook", "event rule", "custom link"
	Name   string
	ID     int64 // 0 when it does not exist (yet)
	Action Action
	// Changed names the fields that differed (never their values: one of
	// them may be the webhook secret).
	Changed []string
	// Kept names fields set only on create that differ from setup's value
	// and were left alone (an operator's own setting).
	Kept   []string
	Detail string
}

// Report is the outcome of Run.
type Report struct {
	NetBoxVersion string
	DryRun        bool
	Items         []Item
	Warnings      []string
}

// Changed reports whether Run wrote (or, in a dry run, would write)
// anything.
func (r *Report) Changed() bool {
	for _, it := range r.Items {
		switch it.Action {
		case Created, Updated, WouldCreate, WouldUpdate:
			return true
		}
	}
	return false
}

// Conflicts lists the items that need a manual fix.
func (r *Report) Conflicts() []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Action == Conflict {
			out = append(out, it)
		}
	}
	return out
}

// String renders the report: one line per object, the warnings, and a
// summary line.
func (r *Report) String() string {
	var b strings.Builder
	mode := ""
	if r.DryRun {
		mode = " (dry run: nothing written)"
	}
	fmt.Fprintf(&b, "NetBox %s%s\n", r.NetBoxVersion, mode)
	for _, it := range r.Items {
		fmt.Fprintf(&b, "%-12s %-28s %s", it.Kind, it.Name, it.Action)
		if it.ID != 0 {
			fmt.Fprintf(&b, " (id %d)", it.ID)
		}
		if len(it.Changed) > 0 {
			fmt.Fprintf(&b, ": %s", strings.Join(it.Changed, ", "))
		}
		if it.Detail != "" {
			fmt.Fprintf(&b, ": %s", it.Detail)
		}
		if len(it.Kept) > 0 {
			fmt.Fprintf(&b, " (left alone: %s)", strings.Join(it.Kept, ", "))
		}
		b.WriteByte('\n')
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	switch {
	case len(r.Conflicts()) > 0:
		b.WriteString("some objects need a manual fix (see conflict lines)\n")
	case r.DryRun && r.Changed():
		b.WriteString("run without --dry-run to apply these changes\n")
	case r.Changed():
		b.WriteString("NetBox is now set up for hnp-gitops\n")
	default:
		b.WriteString("nothing to change: NetBox is already set up for hnp-gitops\n")
	}
	return b.String()
}
