package netboxsim

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBulkOperations(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t, 200)
	s := start(t, Options{})
	if err := s.SetupStatusFields(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddWebhook(recv.url, "k", "object_created", "object_updated", "object_deleted"); err != nil {
		t.Fatal(err)
	}
	path := "/api/plugins/hedgehog/fabrics/"
	created := api(t, s, "POST", path, []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}, map[string]any{"name": "c"}})
	if created.code != 201 {
		t.Fatalf("bulk create: %d %s", created.code, created.body)
	}
	// One bad item refuses the whole request.
	bad := api(t, s, "PATCH", path, []any{
		map[string]any{"id": 1, "custom_fields": map[string]any{"gitops_directory_status": "initialized"}},
		map[string]any{"id": 2, "custom_fields": map[string]any{"gitops_directory_status": "bogus"}},
	})
	want := `[{},{"custom_fields":["Invalid value for custom field 'gitops_directory_status': Invalid choice (bogus) for choice set hnp_gitops_directory_status."]}]`
	if bad.code != 400 || string(bad.body) != want {
		t.Fatalf("bulk with a bad item: %d %s", bad.code, bad.body)
	}
	if f, _ := s.Fabric(1); f.CustomFields["gitops_directory_status"] != nil || len(s.PatchLog(1)) != 0 {
		t.Fatalf("a refused bulk write was applied: %v", f.CustomFields)
	}
	ok := api(t, s, "PATCH", path, []any{
		map[string]any{"id": 1, "custom_fields": map[string]any{"gitops_directory_status": "initialized"}},
		map[string]any{"id": 2, "custom_fields": map[string]any{"gitops_directory_status": "error"}},
	})
	if ok.code != 200 {
		t.Fatalf("bulk update: %d %s", ok.code, ok.body)
	}
	if r := api(t, s, "PATCH", path, []any{map[string]any{"id": 99}}); r.code != 404 {
		t.Errorf("bulk update of a missing object: %d", r.code)
	}
	del := api(t, s, "DELETE", path, []any{map[string]any{"id": 3}})
	if del.code != 204 {
		t.Fatalf("bulk delete: %d %s", del.code, del.body)
	}
	waitDeliveries(t, s, 6)
	time.Sleep(50 * time.Millisecond)
	type ev struct {
		Event string
		ID    int64
		Req   string
	}
	var got []ev
	for _, d := range s.Deliveries() {
		got = append(got, ev{d.Event, d.ObjectID, d.RequestID})
	}
	c, u, d := created.header.Get("X-Request-ID"), ok.header.Get("X-Request-ID"), del.header.Get("X-Request-ID")
	wantEv := []ev{{"created", 1, c}, {"created", 2, c}, {"created", 3, c}, {"updated", 1, u}, {"updated", 2, u}, {"deleted", 3, d}}
	if diff := cmp.Diff(wantEv, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestCloneCopiesEveryTable: a table the clone forgets is nil after a bulk
// write restores or replaces the store (the journal once was: every later
// journal write answered 500).
func TestCloneCopiesEveryTable(t *testing.T) {
	t.Parallel()
	v := reflect.ValueOf(newStore().clone()).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Map && f.IsNil() {
			t.Errorf("store.clone leaves %s nil", v.Type().Field(i).Name)
		}
	}
}
