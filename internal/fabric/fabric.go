// Package fabric is the core's language for what NetBox holds: a fabric
// and its git repository as the reconciler (internal/reconcile) sees them,
// and the kinds of failure of the store that keeps them. The NetBox
// adapter (internal/netbox) maps its wire types and errors onto these, so
// the core never sees a NetBox type nor reads NetBox's error text.
//
// It is plain data: it imports nothing of the project but the status
// vocabulary.
package fabric

import (
	"errors"
	"strconv"
	"time"
)

// Fabric is a fabric as the core reconciles it.
type Fabric struct {
	ID   int64
	Name string
	// RepositoryID is the fabric's git repository, 0 when none is chosen.
	RepositoryID int64
	// Directory is the fabric GitOps directory as the user typed it.
	Directory string
	// ArchiveStrategy is how ingested originals are kept ("" = the
	// service's default).
	ArchiveStrategy string
	// Status holds the service's custom fields (status.Fields) as read,
	// "" when unset.
	Status map[string]string
}

// Repository is a fabric's git repository as the core uses it.
type Repository struct {
	ID     int64
	Name   string
	URL    string // as stored; may carry credentials, never shown as is
	Branch string // the branch the service writes to
}

// The kinds of failure the core acts on. An adapter's error matches them
// with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("authentication or permission denied")
	ErrRejected     = errors.New("request rejected")
	// ErrUnknownStatusField: the store has no custom field of that name
	// (`hnp-gitops netbox setup` never ran).
	ErrUnknownStatusField = errors.New("unknown status custom field")
	// ErrBlankField: the store refused a write because a stored field of
	// the object, not one the write sent, fails its own validation (HNP
	// 705549aa's fabric JSON fields lack blank=True). BlankFields names
	// them.
	ErrBlankField = errors.New("a stored field of the object fails validation")
)

// BlankFields names the fields of an ErrBlankField error, nil for any
// other error.
func BlankFields(err error) []string {
	var e interface{ BlankFields() []string }
	if errors.As(err, &e) {
		return e.BlankFields()
	}
	return nil
}

// Answered is an adapter's error that carries the store's answer: its
// HTTP status code.
type Answered interface {
	error
	AnswerCode() int
}

// Code is the store's answer code of err ("404"), or "error" when the
// store did not answer, for metric labels.
func Code(err error) string {
	if c, ok := answerCode(err); ok {
		return strconv.Itoa(c)
	}
	return "error"
}

// Temporary reports whether err is an answer of the store that retrying
// later may change (a 5xx), and whether err is an answer at all.
func Temporary(err error) (temporary, answered bool) {
	c, ok := answerCode(err)
	return c >= 500, ok
}

func answerCode(err error) (int, bool) {
	var a Answered
	if errors.As(err, &a) {
		return a.AnswerCode(), true
	}
	return 0, false
}

// ChangeKind names what a change-log entry changed.
type ChangeKind string

// The objects whose changes the core acts on.
const (
	FabricChanged     ChangeKind = "fabric"
	RepositoryChanged ChangeKind = "repository"
)

// Change is one entry of the store's change log: an object written at Time.
type Change struct {
	Kind ChangeKind
	ID   int64
	Time time.Time
	// StatusOnly: the write touched nothing but the service's status
	// fields (the service's own writes, or a user resetting the status,
	// which the resync sees anyway).
	StatusOnly bool
}

// JournalKind is the kind of a journal entry, as NetBox colours it.
type JournalKind string

// NetBox's journal entry kinds (JournalEntryKindChoices).
const (
	JournalInfo    JournalKind = "info"
	JournalSuccess JournalKind = "success"
	JournalWarning JournalKind = "warning"
	JournalDanger  JournalKind = "danger"
)

// JournalEntry is one entry of a fabric's journal: the history NetBox
// users read on the fabric's Journal tab. Comments is Markdown.
type JournalEntry struct {
	Kind     JournalKind
	Comments string
}
