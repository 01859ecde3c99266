package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
)

// EndpointJournalEntries is NetBox's journal (every object's Journal tab).
const EndpointJournalEntries = "extras/journal-entries"

// journalFields are the fields the service reads of an entry. The full
// representation nests the assigned object through its plugin's
// serializer (HNP's fabric, with its plain-text kubernetes_token):
// ?fields= leaves it out.
var journalFields = "id,created,kind,comments"

// journalEntry is an entry as NetBox gives it: kind is a {value, label}
// choice.
type journalEntry struct {
	Kind     any    `json:"kind"`
	Comments string `json:"comments"`
}

// AddJournalEntry writes one journal entry on a fabric. Like every POST it
// is not retried: NetBox may have stored it before an answer was lost.
func (s Fabrics) AddJournalEntry(ctx context.Context, fabricID int64, e fabric.JournalEntry) error {
	_, err := s.Client.CreateObject(ctx, EndpointJournalEntries, map[string]any{
		"assigned_object_type": FabricObjectType,
		"assigned_object_id":   fabricID,
		"kind":                 string(e.Kind),
		"comments":             e.Comments,
	})
	if err != nil {
		return fmt.Errorf("netbox: journal of fabric %d: %w", fabricID, err)
	}
	return nil
}

// JournalEntries reads a fabric's newest journal entries, newest first (at
// most limit, one page).
func (s Fabrics) JournalEntries(ctx context.Context, fabricID int64, limit int) ([]fabric.JournalEntry, error) {
	q := url.Values{
		"assigned_object_type": {FabricObjectType},
		"assigned_object_id":   {strconv.FormatInt(fabricID, 10)},
		"ordering":             {"-created"},
		"limit":                {strconv.Itoa(max(limit, 1))},
		"fields":               {journalFields},
	}
	var p page
	if err := s.Client.getJSON(ctx, s.Client.apiURL(EndpointJournalEntries+"/", q), &p); err != nil {
		return nil, fmt.Errorf("netbox: journal of fabric %d: %w", fabricID, err)
	}
	out := make([]fabric.JournalEntry, 0, len(p.Results))
	for _, raw := range p.Results {
		var e journalEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("netbox: journal of fabric %d: decode entry: %w", fabricID, err)
		}
		out = append(out, fabric.JournalEntry{Kind: fabric.JournalKind(choiceString(e.Kind)), Comments: e.Comments})
	}
	return out, nil
}

// ProbeJournal reads one entry of the journal: nil when the token may
// read it (what the repeat rule needs). Whether it may add one only a
// write shows.
func (c *Client) ProbeJournal(ctx context.Context) error {
	q := url.Values{"limit": {"1"}, "fields": {"id"}}
	return c.getJSON(ctx, c.apiURL(EndpointJournalEntries+"/", q), &page{})
}
