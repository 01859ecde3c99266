package netboxsim

import (
	"net/url"
	"strconv"
	"time"
)

// objectChange is one entry of NetBox's change log (core.ObjectChange): one
// per object a request created, updated or deleted, with both snapshots.
type objectChange struct {
	ID         int64
	Time       time.Time
	UserName   string
	RequestID  string
	Action     string // create, update, delete
	ObjectType string
	ObjectID   int64
	Repr       string
	Pre, Post  any // snapshot objects, nil where there is none
}

// changeActions maps an event's kind to the change log's action.
var changeActions = map[string]string{"created": "create", "updated": "update", "deleted": "delete"}

// logChange adds the change-log entry of an event. Called with s.mu held,
// by every API write (writes through /_sim/ bypass it, as a Django save
// outside a request does).
func (s *Server) logChange(ev *event) {
	c := &objectChange{
		ID: s.data.id("objectchange"), Time: ev.at, UserName: ev.user, RequestID: ev.requestID,
		Action: changeActions[ev.kind], ObjectType: ev.objectType, ObjectID: ev.objectID,
		Pre: ev.pre, Post: ev.post,
	}
	for _, fd := range ev.data {
		if fd.Key == "display" {
			c.Repr, _ = fd.Value.(string)
		}
	}
	s.data.changes[c.ID] = c
}

// changesPath is where the change log is: core since NetBox 4.1, extras
// on 4.0.
func (s *Server) changesPath() string {
	if s.ver.atLeast(1) {
		return "/api/core/object-changes/"
	}
	return extrasPath + "object-changes/"
}

// changeLogResource is the read-only change log, with NetBox's filters:
// time_after and time_before (DateTimeFromToRangeFilter), changed_object_type
// (app_label.model), changed_object_id, user_name, request_id, action.
func (s *Server) changeLogResource() resource {
	return resource{
		path: s.changesPath(), objectType: "core.objectchange", readOnly: true,
		listRoute: RouteChangeLog, getRoute: RouteChangeLog, writeRoute: RouteChangeLog,
		ids:  func() []int64 { return sortedIDs(s.data.changes) },
		rest: func(id int64) object { return s.changeREST(s.data.changes[id]) },
		match: func(id int64, q url.Values) bool {
			c := s.data.changes[id]
			return matchTime(q, c.Time) && matchStrings(q, "changed_object_type", c.ObjectType) &&
				matchStrings(q, "changed_object_id", strconv.FormatInt(c.ObjectID, 10)) &&
				matchStrings(q, "user_name", c.UserName) && matchStrings(q, "request_id", c.RequestID) &&
				matchStrings(q, "action", c.Action)
		},
	}
}

func (s *Server) changeREST(c *objectChange) object {
	return obj("id", c.ID, "url", objURL(s.changesPath(), c.ID), "display", c.Repr,
		"time", drfTime(c.Time), "user", nil, "user_name", c.UserName, "request_id", c.RequestID,
		"action", obj("value", c.Action, "label", map[string]string{"create": "Created", "update": "Updated", "delete": "Deleted"}[c.Action]),
		"changed_object_type", c.ObjectType, "changed_object_id", c.ObjectID, "changed_object", nil,
		"object_repr", c.Repr, "prechange_data", c.Pre, "postchange_data", c.Post)
}

// matchTime applies time_after and time_before (inclusive, as Django's
// range filter); an unparseable bound matches nothing, like NetBox's 400
// would refuse the list.
func matchTime(q url.Values, t time.Time) bool {
	for key, ok := range map[string]func(b time.Time) bool{
		"time_after":  func(b time.Time) bool { return !t.Before(b) },
		"time_before": func(b time.Time) bool { return !t.After(b) },
	} {
		v := q.Get(key)
		if v == "" {
			continue
		}
		b, err := time.Parse(time.RFC3339Nano, v)
		if err != nil || !ok(b) {
			return false
		}
	}
	return true
}
