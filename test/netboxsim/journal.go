package netboxsim

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// journalKindChoices are NetBox's JournalEntryKindChoices.
var journalKindChoices = []choice{{"info", "Info"}, {"success", "Success"}, {"warning", "Warning"}, {"danger", "Danger"}}

// journalObjectTypes are the object types of the emulator that support
// journaling (NetBoxModel subclasses: HNP's fabric and git repository).
var journalObjectTypes = []string{FabricObjectType, RepositoryObjectType}

// journalEntry is one entry of an object's journal (extras.JournalEntry).
type journalEntry struct {
	ID          int64
	ObjectType  string // app_label.model
	ObjectID    int64
	CreatedBy   string // username
	Kind        string
	Comments    string
	Created     time.Time
	LastUpdated time.Time
}

func (e *journalEntry) stamp() (*int64, *time.Time, *time.Time) {
	return &e.ID, &e.Created, &e.LastUpdated
}

// JournalEntry is a journal entry as tests read it.
type JournalEntry struct {
	ID         int64
	ObjectType string
	ObjectID   int64
	CreatedBy  string
	Kind       string
	Comments   string
	Created    time.Time
}

// Journal returns the journal of one object, newest first (NetBox's
// ordering).
func (s *Server) Journal(objectType string, id int64) []JournalEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []JournalEntry
	ids := sortedIDs(s.data.journal)
	for i := len(ids) - 1; i >= 0; i-- {
		e := s.data.journal[ids[i]]
		if e.ObjectType == objectType && e.ObjectID == id {
			out = append(out, JournalEntry{ID: e.ID, ObjectType: e.ObjectType, ObjectID: e.ObjectID,
				CreatedBy: e.CreatedBy, Kind: e.Kind, Comments: e.Comments, Created: e.Created})
		}
	}
	return out
}

// journalResource is /api/extras/journal-entries/: newest first unless
// ?ordering= says otherwise, with NetBox's filters assigned_object_type
// (app_label.model), assigned_object_id, kind and created_by (username).
func (s *Server) journalResource() resource {
	res := extrasResource("journal-entries", "extras.journalentry")
	res.listRoute, res.getRoute, res.writeRoute = RouteJournal, RouteJournal, RouteJournal
	res.defaultOrdering = "-created"
	res.ids = func() []int64 { return sortedIDs(s.data.journal) }
	res.rest = func(id int64) object { return s.journalREST(s.data.journal[id]) }
	res.snapshot = func(id int64) object {
		e := s.data.journal[id]
		return obj("created", djangoTime(e.Created), "last_updated", djangoTime(e.LastUpdated),
			"assigned_object_type", e.ObjectType, "assigned_object_id", e.ObjectID,
			"created_by", 1, "kind", e.Kind, "comments", e.Comments)
	}
	res.match = func(id int64, q url.Values) bool {
		e := s.data.journal[id]
		return matchStrings(q, "assigned_object_type", e.ObjectType) &&
			matchStrings(q, "assigned_object_id", strconv.FormatInt(e.ObjectID, 10)) &&
			matchStrings(q, "kind", e.Kind) && matchStrings(q, "created_by", e.CreatedBy)
	}
	storeIn(s, &res, "journalentry", func() map[int64]*journalEntry { return s.data.journal },
		func() *journalEntry { return &journalEntry{Kind: "info", CreatedBy: s.opts.Username} }, s.writeJournalEntry)
	return res
}

// writeJournalEntry validates like JournalEntrySerializer: the assigned
// object must exist ("Invalid assigned_object: ...") and its type support
// journaling (JournalEntry.clean), both non-field errors.
func (s *Server) writeJournalEntry(e *journalEntry, body map[string]any, create, partial bool) fieldErrors {
	in := newInput(body)
	if create || !partial {
		in.require("assigned_object_type", "assigned_object_id", "comments")
	}
	if v, ok := body["assigned_object_type"]; ok {
		if t, isStr := v.(string); !isStr || !validObjectType(t) {
			in.errs.add("assigned_object_type", "Invalid value. Specify a content type as '<app_label>.<model_name>'.")
		} else if !knownObjectType(t) {
			in.errs.add("assigned_object_type", "Invalid content type: %s", t)
		} else {
			e.ObjectType = t
		}
	}
	if v, ok := body["assigned_object_id"]; ok {
		if n, isInt := asInt(v); !isInt || n < 0 {
			in.errs.add("assigned_object_id", "A valid integer is required.")
		} else {
			e.ObjectID = n
		}
	}
	in.choice("kind", journalKindChoices, &e.Kind, false)
	in.str("comments", &e.Comments, false)
	if len(in.errs) > 0 {
		return in.errs
	}
	if !s.objectExists(e.ObjectType, e.ObjectID) {
		in.errs.add("non_field_errors", "Invalid assigned_object: %s ID %d", e.ObjectType, e.ObjectID)
	} else if !slices.Contains(journalObjectTypes, e.ObjectType) {
		in.errs.add("non_field_errors", "Journaling is not supported for this object type (%s).", e.ObjectType)
	}
	return in.errs
}

func (s *Server) objectExists(objectType string, id int64) bool {
	switch objectType {
	case FabricObjectType:
		return s.data.fabrics[id] != nil
	case RepositoryObjectType:
		return s.data.repos[id] != nil
	}
	return false
}

func (s *Server) journalREST(e *journalEntry) object {
	var assigned any
	switch e.ObjectType {
	case FabricObjectType:
		if f := s.data.fabrics[e.ObjectID]; f != nil {
			assigned = obj("id", f.ID, "url", objURL(s.fabPath, f.ID), "display", f.Name, "name", f.Name, "description", f.Description)
		}
	case RepositoryObjectType:
		if r := s.data.repos[e.ObjectID]; r != nil {
			assigned = obj("id", r.ID, "url", objURL(s.repPath, r.ID), "display", r.Name, "name", r.Name, "description", "")
		}
	}
	return obj(
		"id", e.ID,
		"url", objURL(extrasPath+"journal-entries/", e.ID),
		"display_url", objURL("/extras/journal-entries/", e.ID),
		"display", e.Created.UTC().Format("2006-01-02 15:04")+" ("+choiceLabel(journalKindChoices, e.Kind)+")",
		"assigned_object_type", e.ObjectType,
		"assigned_object_id", e.ObjectID,
		"assigned_object", assigned,
		"created", drfTime(e.Created),
		"created_by", 1,
		"kind", obj("value", e.Kind, "label", choiceLabel(journalKindChoices, e.Kind)),
		"comments", e.Comments,
		"tags", []any{},
		"custom_fields", obj(),
		"last_updated", drfTime(e.LastUpdated),
	)
}

// validObjectType: "<app_label>.<model>", as ContentTypeField splits it.
func validObjectType(t string) bool {
	parts := strings.Split(t, ".")
	return len(parts) == 2
}

// knownObjectType: the emulator has no registry of models; NetBox's are
// lower case.
func knownObjectType(t string) bool {
	app, model, _ := strings.Cut(t, ".")
	return app != "" && model != "" && strings.ToLower(t) == t
}
