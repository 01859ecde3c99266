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

// ownCommitTrailer begins the trailer line every commit of the service
// carries (commitMessage): "NetBox-Object: netbox_hedgehog.hedgehogfabric:<id>".
const ownCommitTrailer = "NetBox-Object: netbox_hedgehog.hedgehogfabric:"

// IsOwnCommit reports whether a commit message is one the service wrote:
// its last paragraph (the trailer block) has a NetBox-Object trailer naming
// a fabric. The marker survives any author or committer identity (a GitHub
// App commits as its bot) and a squash would only keep it when the result
// is the service's alone. A person who copies the trailer into a commit
// of their own only loses that push's hint; the resync still finds it.
func IsOwnCommit(message string) bool {
	msg := strings.TrimRight(strings.ReplaceAll(message, "\r\n", "\n"), "\n ")
	block := msg
	if i := strings.LastIndex(msg, "\n\n"); i >= 0 {
		block = msg[i+2:]
	}
	for _, line := range strings.Split(block, "\n") {
		if id, ok := strings.CutPrefix(line, ownCommitTrailer); ok && id != "" && strings.Trim(id, "0123456789") == "" {
			return true
		}
	}
	return false
}
