package netboxhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Event names NetBox puts in the "event" key.
const (
	EventCreated    = "created"
	EventUpdated    = "updated"
	EventDeleted    = "deleted"
	EventJobStarted = "job_started"
	EventJobEnded   = "job_ended"
)

// ErrInvalidPayload is matched by every error of Parse.
var ErrInvalidPayload = errors.New("netboxhook: invalid payload")

// Event is one webhook delivery, normalised over the payload forms of NetBox
// 4.0 to 4.7.
//
// Numbers inside Data, Prechange and Postchange are json.Number, so that ids
// and decimals keep their exact text.
type Event struct {
	// Event is created, updated, deleted, job_started or job_ended.
	Event     string
	Timestamp time.Time
	// ObjectType is "app_label.model" when the payload has object_type
	// (4.4 and later), else "".
	ObjectType string
	// Model is the payload's model (up to 4.4), else the part of ObjectType
	// after the dot.
	Model string
	// Username and RequestID come from request{user,id} when present (4.6
	// and later), else from username and request_id. RequestID equals the
	// X-Request-ID of the API response whose request caused the event.
	Username, RequestID string
	// RequestMethod and RequestPath come from request{method,path} (4.6 and
	// later), else "".
	RequestMethod, RequestPath string
	// ObjectID is data.id.
	ObjectID int64
	// Data is the object's REST representation.
	Data map[string]any
	// Prechange and Postchange are the snapshots (Django model form);
	// Prechange is nil on create, Postchange nil on delete, both nil when
	// the payload has no snapshots.
	Prechange, Postchange map[string]any
}

// Parse reads a webhook body. It accepts every form of NetBox 4.0 to 4.7
// (see the package's tests for one of each) and ignores unknown keys. The
// error, which matches ErrInvalidPayload, is one line and never quotes the
// body beyond the name of a key.
func Parse(body []byte) (*Event, error) {
	m, err := topObject(body)
	if err != nil {
		return nil, err
	}
	ev := &Event{}
	for _, step := range []func(*Event, map[string]any) error{parseHead, parseRequest, parseData, parseSnapshots} {
		if err := step(ev, m); err != nil {
			return nil, err
		}
	}
	return ev, nil
}

// topObject decodes a body that must be exactly one JSON object.
func topObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, invalidf("not JSON: %s", oneLine(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalidf("not JSON: data after the top-level value")
	}
	m, ok := top.(map[string]any)
	if !ok {
		return nil, invalidf("want a JSON object, got %s", kind(top))
	}
	return m, nil
}

// parseHead reads event, timestamp, object_type, model, username and
// request_id.
func parseHead(ev *Event, m map[string]any) error {
	var err error
	if ev.Event, err = optString(m, "event", "event"); err != nil {
		return err
	}
	if ev.Event == "" {
		return invalidf("event: missing")
	}
	ts, err := optString(m, "timestamp", "timestamp")
	if err != nil {
		return err
	}
	if ts != "" {
		if ev.Timestamp, err = parseTimestamp(ts); err != nil {
			return invalidf("timestamp: %q is not an ISO 8601 time", truncate(ts, 40))
		}
	}
	if ev.ObjectType, err = optString(m, "object_type", "object_type"); err != nil {
		return err
	}
	if ev.Model, err = optString(m, "model", "model"); err != nil {
		return err
	}
	if ev.Model == "" && ev.ObjectType != "" {
		ev.Model = ev.ObjectType[strings.LastIndexByte(ev.ObjectType, '.')+1:]
	}
	if ev.Username, err = optString(m, "username", "username"); err != nil {
		return err
	}
	ev.RequestID, err = optString(m, "request_id", "request_id")
	return err
}

// parseRequest reads request{id, method, path, user} (4.6 and later),
// which wins over request_id and username.
func parseRequest(ev *Event, m map[string]any) error {
	req, err := optObject(m, "request", "request")
	if err != nil || req == nil {
		return err
	}
	id, err := optString(req, "id", "request.id")
	if err != nil {
		return err
	}
	if id != "" {
		ev.RequestID = id
	}
	if ev.RequestMethod, err = optString(req, "method", "request.method"); err != nil {
		return err
	}
	if ev.RequestPath, err = optString(req, "path", "request.path"); err != nil {
		return err
	}
	user, err := requestUser(req)
	if err != nil {
		return err
	}
	if user != "" {
		ev.Username = user
	}
	return nil
}

// parseData reads data and its id.
func parseData(ev *Event, m map[string]any) error {
	data, err := optObject(m, "data", "data")
	if err != nil {
		return err
	}
	if data == nil {
		return invalidf("data: missing")
	}
	ev.Data = data
	ev.ObjectID, err = objectID(data)
	return err
}

// parseSnapshots reads snapshots{prechange, postchange}, when present.
func parseSnapshots(ev *Event, m map[string]any) error {
	snaps, err := optObject(m, "snapshots", "snapshots")
	if err != nil || snaps == nil {
		return err
	}
	if ev.Prechange, err = optObject(snaps, "prechange", "snapshots.prechange"); err != nil {
		return err
	}
	ev.Postchange, err = optObject(snaps, "postchange", "snapshots.postchange")
	return err
}

// Is reports whether the event is about appLabel.model. When the payload
// names the object type (4.4 and later) both parts must match; when it only
// has a model (up to 4.3), the model must. Django lower-cases both, so the
// comparison ignores case.
func (e *Event) Is(appLabel, model string) bool {
	if e.ObjectType != "" {
		return strings.EqualFold(e.ObjectType, appLabel+"."+model)
	}
	return e.Model != "" && strings.EqualFold(e.Model, model)
}

// ChangedFields lists, sorted, the keys whose values differ between the
// prechange and postchange snapshots: top-level keys, except that a change
// inside custom_fields is reported per custom field as
// "custom_fields.<name>". A key present in only one snapshot counts as
// changed, so on create (or delete) every key of the one snapshot is listed.
// It returns nil when nothing changed or there are no snapshots.
func (e *Event) ChangedFields() []string {
	var out []string
	seen := map[string]bool{}
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, k := range unionKeys(e.Prechange, e.Postchange) {
		pre, inPre := e.Prechange[k]
		post, inPost := e.Postchange[k]
		if inPre && inPost && reflect.DeepEqual(pre, post) {
			continue
		}
		if k == "custom_fields" {
			preCF, okPre := pre.(map[string]any)
			postCF, okPost := post.(map[string]any)
			if okPre || okPost {
				for _, name := range unionKeys(preCF, postCF) {
					a, inA := preCF[name]
					b, inB := postCF[name]
					if !inA || !inB || !reflect.DeepEqual(a, b) {
						add("custom_fields." + name)
					}
				}
				// A non-object custom_fields on one side changed as a whole.
				if (inPre && pre != nil && !okPre) || (inPost && post != nil && !okPost) {
					add(k)
				}
				continue
			}
		}
		add(k)
	}
	sort.Strings(out)
	return out
}

func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func parseTimestamp(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	// Python's isoformat of a naive datetime has no offset; NetBox keeps
	// UTC, so read it as such.
	return time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC)
}

func requestUser(req map[string]any) (string, error) {
	switch u := req["user"].(type) {
	case nil:
		return "", nil
	case string:
		return u, nil
	case map[string]any:
		// Tolerate a nested user representation.
		if s, ok := u["username"].(string); ok {
			return s, nil
		}
		return "", nil
	default:
		return "", invalidf("request.user: want a string, got %s", kind(u))
	}
}

func objectID(data map[string]any) (int64, error) {
	v, ok := data["id"]
	if !ok || v == nil {
		return 0, invalidf("data.id: missing")
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, invalidf("data.id: want an integer, got %s", kind(v))
	}
	id, err := n.Int64()
	if err != nil {
		return 0, invalidf("data.id: want an integer, got %s", truncate(n.String(), 24))
	}
	if id < 1 {
		return 0, invalidf("data.id: want a positive integer, got %d", id)
	}
	return id, nil
}

// optString returns m[key] when it is a string, "" when it is absent or
// null, and an error naming path for any other type.
func optString(m map[string]any, key, path string) (string, error) {
	switch v := m[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", invalidf("%s: want a string, got %s", path, kind(v))
	}
}

// optObject is optString for objects; path names the key in errors.
func optObject(m map[string]any, key, path string) (map[string]any, error) {
	switch v := m[key].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return v, nil
	default:
		return nil, invalidf("%s: want an object, got %s", path, kind(v))
	}
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidPayload}, args...)...)
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
