package netboxhook_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/nbwire"
	"github.com/githedgehog/hnp-gitops/test/testkit"
)

const requestID = "0b6a1c4e-2f0c-4b8e-9a57-3f1d1c2e9a10"

func readFile(t testing.TB, name string) []byte { return testkit.Testdata(t, name) }

// TestParseForms reads the body of each NetBox version form, as Python's
// json module wrote it in testdata/gen.py.
func TestParseForms(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 3, 6, 15, 11, 23, 503186000, time.UTC)
	pre := map[string]any{
		"name": "fabric-1", "description": "old", "git_repository": json.Number("3"),
		"gitops_directory": "gitops/hedgehog/fabric-1/", "tags": []any{},
		"custom_fields": map[string]any{"gitops_directory_status": "initializing", "owner": "net-team"},
	}
	post := map[string]any{
		"name": "fabric-1", "description": "café \U0001F600 <a&b> /x/", "git_repository": json.Number("3"),
		"gitops_directory": "gitops/hedgehog/fabric-1/", "tags": []any{},
		"custom_fields": map[string]any{"gitops_directory_status": "initialized", "owner": "net-team"},
	}
	withObjectType := func(e netboxhook.Event) netboxhook.Event {
		e.ObjectType = "netbox_hedgehog.hedgehogfabric"
		return e
	}
	withRequest := func(e netboxhook.Event) netboxhook.Event {
		e.RequestMethod, e.RequestPath = "PATCH", "/api/plugins/hedgehog/fabrics/7/"
		return e
	}
	base := netboxhook.Event{
		Event: "updated", Timestamp: ts, Model: "hedgehogfabric", Username: "admin", RequestID: requestID,
		ObjectID: 7, Prechange: pre, Postchange: post,
	}
	tests := []struct {
		file string
		want netboxhook.Event
	}{
		{"payload-4.0.json", base},
		{"payload-4.4.json", withObjectType(base)},
		{"payload-4.5.json", withObjectType(base)},
		{"payload-4.6.json", withRequest(withObjectType(base))},
		{"payload-4.7.json", withRequest(withObjectType(base))},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			got, err := netboxhook.Parse(readFile(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(netboxhook.Event{}, "Data")); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			if got.Data["name"] != "fabric-1" || got.Data["id"] != json.Number("7") {
				t.Errorf("data: name %v id %v", got.Data["name"], got.Data["id"])
			}
			cf, _ := got.Data["custom_fields"].(map[string]any)
			if cf["gitops_directory_status"] != "initialized" {
				t.Errorf("data.custom_fields = %v", cf)
			}
			if !got.Is("netbox_hedgehog", "hedgehogfabric") {
				t.Error("Is(netbox_hedgehog, hedgehogfabric) = false")
			}
		})
	}
}

// TestBodyMatchesPython checks that Body writes, byte for byte, what
// Python's json.dumps wrote for each form.
func TestBodyMatchesPython(t *testing.T) {
	t.Parallel()
	for _, f := range nbwire.Forms {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			want := readFile(t, "payload-"+f.String()+".json")
			ev, err := netboxhook.Parse(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := nbwire.Body(f, ev)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("body (-python +go):\n%s", diff)
			}
		})
	}
}

func TestFormOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version string
		want    nbwire.Form
		wantErr bool
	}{
		{version: "4.0", want: nbwire.Form40},
		{version: "4.2.2", want: nbwire.Form40},
		{version: "v4.3.7", want: nbwire.Form40},
		{version: "4.4.0", want: nbwire.Form44},
		{version: "4.5", want: nbwire.Form45},
		{version: "4.6.1", want: nbwire.Form46},
		{version: "4.7-beta1", want: nbwire.Form47},
		{version: "4.7.0-beta1", want: nbwire.Form47},
		{version: "3.7", wantErr: true},
		{version: "", wantErr: true},
		{version: "4", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			t.Parallel()
			got, err := nbwire.FormOf(tt.version)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestParseShapes covers the less common shapes every version may send.
func TestParseShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want netboxhook.Event
	}{
		{
			name: "created 4.2: prechange null",
			body: `{"event": "created", "timestamp": "2026-03-06T15:11:23+00:00", "model": "hedgehogfabric", "username": "admin", "request_id": "r1", "data": {"id": 12}, "snapshots": {"prechange": null, "postchange": {"name": "f"}}}`,
			want: netboxhook.Event{Event: "created", Timestamp: time.Date(2026, 3, 6, 15, 11, 23, 0, time.UTC), Model: "hedgehogfabric",
				Username: "admin", RequestID: "r1", ObjectID: 12, Data: map[string]any{"id": json.Number("12")}, Postchange: map[string]any{"name": "f"}},
		},
		{
			name: "deleted 4.7: postchange null",
			body: `{"event": "deleted", "timestamp": "2026-03-06T15:11:23.5+01:00", "object_type": "netbox_hedgehog.hedgehogfabric", "request": {"id": "r2", "method": "DELETE", "path": "/x/", "user": "bob"}, "data": {"id": 13}, "snapshots": {"prechange": {"name": "f"}, "postchange": null}}`,
			want: netboxhook.Event{Event: "deleted", Timestamp: time.Date(2026, 3, 6, 14, 11, 23, 500000000, time.UTC), ObjectType: "netbox_hedgehog.hedgehogfabric",
				Model: "hedgehogfabric", Username: "bob", RequestID: "r2", RequestMethod: "DELETE", RequestPath: "/x/", ObjectID: 13,
				Data: map[string]any{"id": json.Number("13")}, Prechange: map[string]any{"name": "f"}},
		},
		{
			name: "job event without snapshots, request and timestamp",
			body: `{"event": "job_started", "object_type": "core.job", "data": {"id": 99}}`,
			want: netboxhook.Event{Event: "job_started", ObjectType: "core.job", Model: "job", ObjectID: 99, Data: map[string]any{"id": json.Number("99")}},
		},
		{
			name: "4.6: request wins over deprecated keys; nested user",
			body: `{"event": "updated", "object_type": "a.b", "username": "old", "request_id": "old-id", "request": {"id": "new-id", "user": {"username": "new"}}, "data": {"id": 1}, "snapshots": null}`,
			want: netboxhook.Event{Event: "updated", ObjectType: "a.b", Model: "b", Username: "new", RequestID: "new-id", ObjectID: 1, Data: map[string]any{"id": json.Number("1")}},
		},
		{
			name: "request null and naive timestamp",
			body: `{"event": "updated", "timestamp": "2026-03-06T15:11:23.123456", "model": "m", "request": null, "request_id": "x", "data": {"id": 9223372036854775807}}`,
			want: netboxhook.Event{Event: "updated", Timestamp: time.Date(2026, 3, 6, 15, 11, 23, 123456000, time.UTC), Model: "m", RequestID: "x",
				ObjectID: 9223372036854775807, Data: map[string]any{"id": json.Number("9223372036854775807")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := netboxhook.Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, *got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, want string
	}{
		{"empty", ``, "not JSON"},
		{"not JSON", `event=created`, "not JSON"},
		{"truncated", `{"event": "created", "data": {"id": 1}`, "not JSON"},
		{"trailing data", `{"event": "created", "data": {"id": 1}} {}`, "data after the top-level value"},
		{"array", `[{"event": "created"}]`, "want a JSON object, got an array"},
		{"missing event", `{"data": {"id": 1}}`, "event: missing"},
		{"empty event", `{"event": "", "data": {"id": 1}}`, "event: missing"},
		{"event not a string", `{"event": 1, "data": {"id": 1}}`, "event: want a string, got a number"},
		{"missing data", `{"event": "created"}`, "data: missing"},
		{"data null", `{"event": "created", "data": null}`, "data: missing"},
		{"data an array", `{"event": "created", "data": [1]}`, "data: want an object, got an array"},
		{"missing id", `{"event": "created", "data": {"name": "f"}}`, "data.id: missing"},
		{"id a string", `{"event": "created", "data": {"id": "7"}}`, "data.id: want an integer, got a string"},
		{"id a fraction", `{"event": "created", "data": {"id": 1.5}}`, "data.id: want an integer, got 1.5"},
		{"id zero", `{"event": "created", "data": {"id": 0}}`, "data.id: want a positive integer, got 0"},
		{"id too big", `{"event": "created", "data": {"id": 92233720368547758070}}`, "data.id: want an integer"},
		{"model a number", `{"event": "created", "model": 3, "data": {"id": 1}}`, "model: want a string, got a number"},
		{"object_type an object", `{"event": "created", "object_type": {}, "data": {"id": 1}}`, "object_type: want a string, got an object"},
		{"bad timestamp", `{"event": "created", "timestamp": "yesterday", "data": {"id": 1}}`, `timestamp: "yesterday" is not an ISO 8601 time`},
		{"request a string", `{"event": "created", "request": "r", "data": {"id": 1}}`, "request: want an object, got a string"},
		{"request.id a number", `{"event": "created", "request": {"id": 5}, "data": {"id": 1}}`, "request.id: want a string, got a number"},
		{"request.user a list", `{"event": "created", "request": {"user": []}, "data": {"id": 1}}`, "request.user: want a string, got an array"},
		{"snapshots a list", `{"event": "created", "snapshots": [], "data": {"id": 1}}`, "snapshots: want an object, got an array"},
		{"prechange a string", `{"event": "created", "snapshots": {"prechange": "x"}, "data": {"id": 1}}`, "snapshots.prechange: want an object, got a string"},
		{"postchange a bool", `{"event": "created", "snapshots": {"postchange": true}, "data": {"id": 1}}`, "snapshots.postchange: want an object, got a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := netboxhook.Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", ev)
			}
			if !errors.Is(err, netboxhook.ErrInvalidPayload) {
				t.Errorf("error %q does not match ErrInvalidPayload", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
}

func TestIs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ev   netboxhook.Event
		want bool
	}{
		{"object_type matches", netboxhook.Event{ObjectType: "netbox_hedgehog.hedgehogfabric", Model: "hedgehogfabric"}, true},
		{"object_type other app", netboxhook.Event{ObjectType: "other.hedgehogfabric", Model: "hedgehogfabric"}, false},
		{"object_type other model", netboxhook.Event{ObjectType: "netbox_hedgehog.gitrepository", Model: "gitrepository"}, false},
		{"object_type case", netboxhook.Event{ObjectType: "NetBox_Hedgehog.HedgehogFabric"}, true},
		{"model only", netboxhook.Event{Model: "hedgehogfabric"}, true},
		{"model only, other", netboxhook.Event{Model: "device"}, false},
		{"nothing", netboxhook.Event{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.ev.Is("netbox_hedgehog", "hedgehogfabric"); got != tt.want {
				t.Errorf("Is = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChangedFields(t *testing.T) {
	t.Parallel()
	cf := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name      string
		pre, post map[string]any
		want      []string
	}{
		{name: "no snapshots", want: nil},
		{name: "nothing changed", pre: cf("name", "a", "custom_fields", cf("x", "1")), post: cf("name", "a", "custom_fields", cf("x", "1")), want: nil},
		{name: "created", post: cf("name", "a", "custom_fields", cf("x", "1", "y", nil)), want: []string{"custom_fields.x", "custom_fields.y", "name"}},
		{name: "deleted", pre: cf("name", "a"), want: []string{"name"}},
		{
			name: "only status custom fields",
			pre:  cf("name", "a", "last_updated", "t1", "custom_fields", cf("gitops_directory_status", "initializing", "directory_init_error", "", "owner", "me")),
			post: cf("name", "a", "last_updated", "t2", "custom_fields", cf("gitops_directory_status", "initialized", "directory_init_error", "", "owner", "me")),
			want: []string{"custom_fields.gitops_directory_status", "last_updated"},
		},
		{
			name: "custom field added and removed",
			pre:  cf("custom_fields", cf("a", "1")),
			post: cf("custom_fields", cf("b", "1")),
			want: []string{"custom_fields.a", "custom_fields.b"},
		},
		{
			name: "custom_fields from null to an object",
			pre:  cf("custom_fields", nil),
			post: cf("custom_fields", cf("b", "1")),
			want: []string{"custom_fields.b"},
		},
		{
			name: "custom_fields not objects",
			pre:  cf("custom_fields", "x"),
			post: cf("custom_fields", "y"),
			want: []string{"custom_fields"},
		},
		{
			name: "nested values compared deeply",
			pre:  cf("tags", []any{"a"}, "git_repository", json.Number("3")),
			post: cf("tags", []any{"a", "b"}, "git_repository", json.Number("3")),
			want: []string{"tags"},
		},
		{name: "key only in post", pre: cf("a", "1"), post: cf("a", "1", "b", nil), want: []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := netboxhook.Event{Prechange: tt.pre, Postchange: tt.post}
			if diff := cmp.Diff(tt.want, ev.ChangedFields()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
