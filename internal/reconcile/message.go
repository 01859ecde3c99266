package reconcile

import (
	"fmt"
	"strings"
	"unicode"
)

// messagePart is one fabric's share of a commit.
type messagePart struct {
	id       int64
	name     string
	dir      string
	plan     DirPlan
	requests []string
}

// maxSummaryNames bounds the fabric names in the summary line of a batch.
const maxSummaryNames = 5

// commitMessage writes the message of contract §8: a one-line summary, a
// body with the counts, and the NetBox-Object and NetBox-Request-ID
// trailers. parts are the fabrics whose directories the commit changes, in
// a stable order.
func commitMessage(parts []messagePart) string {
	var b strings.Builder
	if len(parts) == 1 {
		p := parts[0]
		summary := p.plan.Summary
		if summary == "" {
			summary = "Reconcile GitOps directory for fabric " + p.name
		}
		b.WriteString(oneLine(summary))
		b.WriteString("\n")
		if body := partBody(p); len(body) > 0 {
			b.WriteString("\n")
			for _, l := range body {
				b.WriteString(l + "\n")
			}
		}
	} else {
		names := make([]string, 0, maxSummaryNames)
		for i, p := range parts {
			if i == maxSummaryNames {
				break
			}
			names = append(names, p.name)
		}
		list := strings.Join(names, ", ")
		if n := len(parts) - len(names); n > 0 {
			list += fmt.Sprintf(" and %d more", n)
		}
		fmt.Fprintf(&b, "Reconcile GitOps directories for %d fabrics: %s\n", len(parts), oneLine(list))
		for _, p := range parts {
			fmt.Fprintf(&b, "\nFabric %s (%s): %s\n", oneLine(p.name), displayDir(p.dir), oneLine(p.plan.Summary))
			for _, l := range partBody(p) {
				b.WriteString(l + "\n")
			}
		}
	}
	b.WriteString("\n")
	seen := map[string]bool{}
	for _, p := range parts {
		fmt.Fprintf(&b, "NetBox-Object: netbox_hedgehog.hedgehogfabric:%d\n", p.id)
	}
	for _, p := range parts {
		for _, r := range p.requests {
			if r = oneLine(r); r != "" && !seen[r] {
				seen[r] = true
				fmt.Fprintf(&b, "NetBox-Request-ID: %s\n", r)
			}
		}
	}
	return b.String()
}

// partBody is the body lines of one fabric: the engine's counts, the
// placements and the conflicts.
func partBody(p messagePart) []string {
	var out []string
	for _, l := range p.plan.Body {
		out = append(out, oneLine(l))
	}
	if len(p.plan.Body) > 0 {
		return out // the engine's body names its conflicts
	}
	{
		out = append(out, fmt.Sprintf("%d files changed.", len(p.plan.Changes)))
		if len(p.plan.Placed) > 0 {
			var parts []string
			for _, k := range sortedKeys(p.plan.Placed) {
				parts = append(parts, fmt.Sprintf("%d %s", p.plan.Placed[k], k))
			}
			out = append(out, "Documents: "+strings.Join(parts, ", ")+".")
		}
	}
	for _, cf := range p.plan.Conflicts {
		out = append(out, "Not placed: "+oneLine(cf))
	}
	return out
}

// oneLine keeps text that comes from NetBox or the engine on one line, so
// that it cannot forge a trailer; indentation is kept.
func oneLine(s string) string {
	return strings.TrimRight(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s), " ")
}
