package reconcile

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/status"
)

// Journal keeps a fabric's history where NetBox users read it: NetBox's
// journal entries, on the fabric's Journal tab. The NetBox adapter
// netbox.Fabrics provides it; its errors match fabric's kinds.
type Journal interface {
	// JournalEntries returns the fabric's newest entries, newest first,
	// at most limit of them, whoever wrote them.
	JournalEntries(ctx context.Context, fabricID int64, limit int) ([]fabric.JournalEntry, error)
	// AddJournalEntry writes one entry on the fabric.
	AddJournalEntry(ctx context.Context, fabricID int64, e fabric.JournalEntry) error
}

// Results of a journal write, as the journal_entries_total metric counts
// them.
const (
	JournalWritten  = "written"  // a new entry
	JournalRepeated = "repeated" // the newest entry of the service already says it: none written
	JournalFailed   = "failed"   // NetBox refused or did not answer the read or the write
)

const (
	// journalMarker starts every entry the service writes: how it tells
	// its own entries from its users'.
	journalMarker = "**hnp-gitops** · "
	// journalLookback is how many of a fabric's newest entries are read to
	// find the newest one of the service (users may write in between).
	journalLookback = 20
	// maxJournalConflicts and maxJournalCounts bound the lists of an entry.
	maxJournalConflicts = 5
	maxJournalCounts    = 20
	// maxJournalMessage bounds the quoted failure (NetBox's answer, git's).
	maxJournalMessage = 2000
)

// journalFacts is what one reconcile of one fabric found, as the journal
// tells it: the Outcome, and what only the reconcile knows.
type journalFacts struct {
	Outcome
	// want is the status the fabric should show now, written or not
	// (Outcome.Status is the one NetBox holds).
	want status.Status
	// failed: the reconcile did not reach its target (Outcome.Error says
	// why); retry: it runs again by itself.
	failed, retry bool
	// landed: this run landed a commit on the fabric's directory
	// (Outcome.CommitURL is it); headURL is the branch head otherwise.
	landed  bool
	headURL string
	head    string // the branch head's commit id, "" when unknown
	// counts are the engine's count lines of the commit.
	counts []string
	// statusChanged: the status fields the run wanted differ from those
	// it read at its start.
	statusChanged bool
}

// journalText is a journal entry and its state: the leading paragraphs
// that say what the fabric's status is. Two entries with the same state
// say the same thing, whatever commit the first one reports.
type journalText struct {
	entry  fabric.JournalEntry
	state  string
	landed bool // it reports a new commit: never a repeat
}

// journalFor is the entry of one reconcile (the kinds and the rule in
// docs/reconcile.md), and false when the reconcile has nothing to tell: a
// no-op, with a status that was already right and was not refused.
func journalFor(f journalFacts) (journalText, bool) {
	if !f.failed && !f.landed && !f.statusChanged && f.StatusWriteError == "" {
		return journalText{}, false
	}
	state := []string{journalMarker + "status **" + string(f.want) + "**"}
	if f.failed && f.Error != "" {
		state = append(state, mdText(truncate(f.Error, maxJournalMessage)))
	}
	if len(f.Rejected) > 0 {
		state = append(state, rejectedList(f.Rejected))
	}
	if len(f.Conflicts) > 0 {
		state = append(state, conflictList(f.Conflicts))
	}
	if f.StatusWriteError != "" {
		state = append(state, "NetBox did not take the status custom fields, so the fabric does not show this status: "+
			mdText(truncate(f.StatusWriteError, maxJournalMessage)))
	}
	details := journalDetails(f)
	text := strings.Join(state, "\n\n")
	comments := text
	if details != "" {
		comments += "\n\n" + details
	}
	return journalText{entry: fabric.JournalEntry{Kind: journalKind(f), Comments: comments}, state: text, landed: f.landed}, true
}

// writeJournal writes the journal entry of one reconcile, unless it has
// none, or it lands no commit and the newest entry of the service already
// says the same. A journal NetBox refuses is logged and counted, never
// retried: it does not change what was reconciled.
func (c *Controller) writeJournal(ctx context.Context, f journalFacts) {
	jt, ok := journalFor(f)
	if !ok || c.o.Journal == nil || ctx.Err() != nil {
		return
	}
	failed := func(what string, err error) {
		c.o.Metrics.JournalEntry(JournalFailed)
		c.log.Warn("reconcile: journal "+what+" failed", "fabric", f.FabricID, "error", redact(err.Error()))
	}
	if !jt.landed {
		recent, err := c.o.Journal.JournalEntries(ctx, f.FabricID, journalLookback)
		if err != nil {
			// Without the newest entry a repeat cannot be told: writing
			// anyway would add one per retry.
			failed("read", err)
			return
		}
		if repeats(recent, jt.state) {
			c.o.Metrics.JournalEntry(JournalRepeated)
			return
		}
	}
	if err := c.o.Journal.AddJournalEntry(ctx, f.FabricID, jt.entry); err != nil {
		failed("write", err)
		return
	}
	c.o.Metrics.JournalEntry(JournalWritten)
}

// journalKind: danger for a failure the service does not retry, warning
// for one it retries and for a directory reconciled with a problem left
// (documents not placed or failing their schema, the status refused), success for a new commit,
// info for a status that changed without one.
func journalKind(f journalFacts) fabric.JournalKind {
	switch {
	case f.failed && !f.retry:
		return fabric.JournalDanger
	case f.failed, len(f.Conflicts) > 0, len(f.Rejected) > 0, f.StatusWriteError != "":
		return fabric.JournalWarning
	case f.landed:
		return fabric.JournalSuccess
	}
	return fabric.JournalInfo
}

// journalDetails says where, and what the commit did.
func journalDetails(f journalFacts) string {
	where := ""
	if f.Repository != "" {
		where = fmt.Sprintf("directory %s of %s, branch %s", code(displayDir(f.Directory)), code(f.Repository), code(f.Branch))
	}
	var parts []string
	switch {
	case f.landed:
		line := fmt.Sprintf("Committed %s to %s: %d files changed.", commitLink(f.CommitURL, f.head), where, f.Changes)
		if f.PullRequestURL != "" {
			line += " Review it in " + link("the pull request", f.PullRequestURL) + "."
		}
		parts = append(parts, line)
		if list := countList(f.counts); list != "" {
			parts = append(parts, list)
		}
	case f.failed && where != "":
		parts = append(parts, "The "+where+".")
	case where != "":
		parts = append(parts, fmt.Sprintf("Nothing to commit: the %s is in its target state at %s.", where, commitLink(f.headURL, f.head)))
	}
	return strings.Join(parts, "\n\n")
}

// repeats reports whether the newest entry of the service among recent
// (newest first) has the given state: then a run that landed no commit
// has nothing new to say.
func repeats(recent []fabric.JournalEntry, state string) bool {
	for _, e := range recent {
		c := strings.ReplaceAll(e.Comments, "\r\n", "\n")
		if !strings.HasPrefix(c, journalMarker) {
			continue
		}
		return c == state || strings.HasPrefix(c, state+"\n\n")
	}
	return false
}

// conflictList names the first documents not placed.
func conflictList(conflicts []string) string {
	return cappedList(fmt.Sprintf("%d documents were not placed (both source files stay where they are; remove or rename one of them):", len(conflicts)), conflicts)
}

// rejectedList names the first documents that failed their CRD schema.
func rejectedList(rejected []string) string {
	head := "1 document failed its CRD schema and was moved to unmanaged/ (correct it and move it back into raw/):"
	if len(rejected) != 1 {
		head = fmt.Sprintf("%d documents failed their CRD schema and were moved to unmanaged/ (correct them and move them back into raw/):", len(rejected))
	}
	return cappedList(head, rejected)
}

// cappedList is head and the first maxJournalConflicts items as a Markdown
// list, then how many more there are.
func cappedList(head string, items []string) string {
	var b strings.Builder
	b.WriteString(head)
	for i, it := range items {
		if i == maxJournalConflicts {
			fmt.Fprintf(&b, "\n- and %d more", len(items)-i)
			break
		}
		b.WriteString("\n- " + mdText(it))
	}
	return b.String()
}

// countList renders the engine's count lines as a list; an indented line
// is an item of the one above.
func countList(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i == maxJournalCounts {
			fmt.Fprintf(&b, "- and %d more lines\n", len(lines)-i)
			break
		}
		indent := ""
		if strings.HasPrefix(l, " ") {
			indent = "  "
		}
		b.WriteString(indent + "- " + mdText(strings.TrimSpace(l)) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// commitLink shows a commit as its short hash, linked to its web page
// when it has one.
func commitLink(u, sha string) string {
	if sha == "" && webURL(u) {
		sha = path.Base(strings.TrimRight(u, "/"))
	}
	if sha == "" {
		return link("the branch head", u)
	}
	return link("commit "+code(sha[:min(len(sha), 12)]), u)
}

// link links text to u when u is a web URL, else gives the text alone.
func link(text, u string) string {
	if !webURL(u) {
		return text
	}
	return fmt.Sprintf("[%s](%s)", text, strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(u))
}

func webURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// code shows a name as inline code; a backquote in it cannot end the span.
func code(s string) string { return "`" + strings.ReplaceAll(oneLine(s), "`", "'") + "`" }

// mdText is text from elsewhere (an error, a file name) on one line, with
// Markdown's and HTML's active characters escaped, so it shows as it is.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range oneLine(s) {
		if strings.ContainsRune("\\`*_[]<>|#!~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// truncate bounds s to n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
