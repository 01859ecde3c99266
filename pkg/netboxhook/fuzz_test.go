package netboxhook_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
	"github.com/githedgehog/hnp-gitops/test/nbwire"
)

// FuzzParse feeds Parse arbitrary bodies, seeded with one body of every
// version form. Beyond not panicking, an accepted body must give a usable
// event, and re-rendering it with Body must parse back to the same event;
// a rejected one must give a one-line error.
func FuzzParse(f *testing.F) {
	for _, form := range nbwire.Forms {
		f.Add(readFile(f, "payload-"+form.String()+".json"))
	}
	for _, s := range []string{
		`{"event": "created", "model": "hedgehogfabric", "data": {"id": 1}, "snapshots": {"prechange": null, "postchange": {"custom_fields": {}}}}`,
		`{"event": "deleted", "object_type": "netbox_hedgehog.hedgehogfabric", "request": {"id": "x", "user": {"username": "u"}}, "data": {"id": 2}}`,
		`{"event": "job_ended", "timestamp": "2026-03-06T15:11:23", "data": {"id": 3}}`,
		`{"event": 1}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := netboxhook.Parse(body)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if ev.Event == "" || ev.ObjectID < 1 || ev.Data == nil {
			t.Fatalf("accepted an unusable event: %+v", ev)
		}
		_ = ev.ChangedFields()
		_ = ev.Is("netbox_hedgehog", "hedgehogfabric")

		// Form47 has no model key, so a model that is not the object
		// type's suffix needs Form44, which has both.
		form := nbwire.Form47
		switch {
		case ev.ObjectType == "" && ev.Model == "":
			return
		case ev.ObjectType == "":
			form = nbwire.Form40
		case !strings.HasSuffix(ev.ObjectType, "."+ev.Model) && ev.ObjectType != ev.Model:
			form = nbwire.Form44
		}
		again, err := nbwire.Body(form, ev)
		if err != nil {
			t.Fatalf("Body of a parsed event: %v", err)
		}
		ev2, err := netboxhook.Parse(again)
		if err != nil {
			t.Fatalf("Parse(Body(ev)): %v\n%s", err, again)
		}
		// Body writes the time in Python's form (microseconds), and forms
		// before 4.6 have no request method or path.
		ignore := func(e *netboxhook.Event) {
			e.Timestamp = e.Timestamp.UTC().Truncate(1000)
			if form < nbwire.Form46 {
				e.RequestMethod, e.RequestPath = "", ""
			}
		}
		ignore(ev)
		ignore(ev2)
		if diff := cmp.Diff(ev, ev2); diff != "" {
			t.Fatalf("Parse(Body(ev)) differs (-first +second):\n%s", diff)
		}
	})
}
