package netboxsetup

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/githedgehog/hnp-gitops/internal/netbox"
)

const (
	testToken  = "0123456789abcdef0123456789abcdef01234567"
	testSecret = "whsec-very-secret-value-42"
)

func newClient(t *testing.T, base string, rt http.RoundTripper) *netbox.Client {
	t.Helper()
	c, err := netbox.New(netbox.Options{BaseURL: base, Token: testToken, Transport: rt,
		RetryMax: -1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testOptions() Options {
	return Options{ServiceURL: "http://hnp-gitops.netbox.svc:8080/", WebhookSecret: testSecret}
}

// actions gives "kind name: action" per item, for diffs.
func actions(r *Report) []string {
	var out []string
	for _, it := range r.Items {
		out = append(out, it.Kind+" "+it.Name+": "+string(it.Action))
	}
	return out
}

func allActions(a Action) []string {
	return []string{
		"choice set hnp_gitops_directory_status: " + string(a),
		"custom field gitops_directory_status: " + string(a),
		"custom field directory_init_error: " + string(a),
		"custom field last_directory_sync: " + string(a),
		"custom field gitops_commit_url: " + string(a),
		"webhook hnp-gitops: " + string(a),
		"event rule hnp-gitops fabric changes: " + string(a),
		"custom link GitOps commit: " + string(a),
	}
}

func TestRunTwice(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"4.0.11", "4.2.2", "4.5.0-Docker-3.4.0"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			nb := newFakeNetBox(t, version)
			c := newClient(t, nb.srv.URL, nil)
			ctx := context.Background()

			rep, err := Run(ctx, c, testOptions())
			if err != nil {
				t.Fatalf("first run: %v\n%s", err, rep)
			}
			if diff := cmp.Diff(allActions(Created), actions(rep)); diff != "" {
				t.Errorf("first run (-want +got):\n%s", diff)
			}
			if !rep.Changed() || nb.writeCount() != 8 {
				t.Errorf("first run: changed %v, %d writes, want 8", rep.Changed(), nb.writeCount())
			}

			rep, err = Run(ctx, c, testOptions())
			if err != nil {
				t.Fatalf("second run: %v\n%s", err, rep)
			}
			if diff := cmp.Diff(allActions(Unchanged), actions(rep)); diff != "" {
				t.Errorf("second run (-want +got):\n%s", diff)
			}
			if rep.Changed() || nb.writeCount() != 8 {
				t.Errorf("second run: changed %v, %d writes in all, want 8", rep.Changed(), nb.writeCount())
			}
			if !strings.Contains(rep.String(), "nothing to change") {
				t.Errorf("second report does not say nothing changed:\n%s", rep)
			}

			hook := nb.find("extras/webhooks", "hnp-gitops")
			wantHook := map[string]any{
				"payload_url": "http://hnp-gitops.netbox.svc:8080/webhooks/netbox", "http_method": "POST",
				"http_content_type": "application/json", "secret": testSecret, "ssl_verification": true,
			}
			for k, v := range wantHook {
				if hook[k] != v {
					t.Errorf("webhook %s = %v, want %v", k, hook[k], v)
				}
			}
			rule := nb.find("extras/event-rules", "hnp-gitops fabric changes")
			if rule["action_object_id"] != hook["id"] || rule["action_object_type"] != "extras.webhook" {
				t.Errorf("event rule points at %v %v, want extras.webhook %v", rule["action_object_type"], rule["action_object_id"], hook["id"])
			}
			legacy := strings.HasPrefix(version, "4.0")
			_, hasTypes := rule["event_types"]
			if legacy != (rule["type_create"] == true && rule["type_update"] == true) || legacy == hasTypes {
				t.Errorf("NetBox %s: event rule %v", version, rule)
			}
			if diff := cmp.Diff([]any{DefaultObjectType, DefaultRepositoryObjectType}, rule["object_types"]); diff != "" {
				t.Errorf("event rule object_types (-want +got):\n%s", diff)
			}
			if !legacy {
				if diff := cmp.Diff([]any{"object_created", "object_updated"}, rule["event_types"]); diff != "" {
					t.Errorf("event_types (-want +got):\n%s", diff)
				}
			}
			status := nb.find("extras/custom-fields", "gitops_directory_status")
			if status["choice_set"].(map[string]any)["name"] != DefaultChoiceSetName || status["ui_editable"].(map[string]any)["value"] != "yes" {
				t.Errorf("status field %v", status)
			}
			for _, name := range []string{"directory_init_error", "last_directory_sync", "gitops_commit_url"} {
				f := nb.find("extras/custom-fields", name)
				if f["ui_editable"].(map[string]any)["value"] != "no" || f["group_name"] != "GitOps" {
					t.Errorf("field %s: %v", name, f)
				}
			}
			cs := nb.find("extras/custom-field-choice-sets", DefaultChoiceSetName)
			wantChoices := []any{
				[]any{"not_initialized", "Not initialized"}, []any{"initializing", "Initializing"},
				[]any{"initialized", "Initialized"}, []any{"error", "Error"}, []any{"invalid_structure", "Invalid structure"},
			}
			if diff := cmp.Diff(wantChoices, cs["extra_choices"]); diff != "" {
				t.Errorf("choices (-want +got):\n%s", diff)
			}
			link := nb.find("extras/custom-links", "GitOps commit")
			if link["link_url"] != "{{ object.cf.gitops_commit_url }}" || link["new_window"] != true {
				t.Errorf("custom link %v", link)
			}
			if strings.Contains(rep.String(), testSecret) {
				t.Error("the report contains the webhook secret")
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	nb := newFakeNetBox(t, "4.2.2")
	c := newClient(t, nb.srv.URL, nil)
	ctx := context.Background()
	opts := testOptions()
	opts.DryRun = true

	rep, err := Run(ctx, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(allActions(WouldCreate), actions(rep)); diff != "" {
		t.Errorf("dry run on an empty NetBox (-want +got):\n%s", diff)
	}
	if nb.writeCount() != 0 {
		t.Fatalf("dry run wrote %d times", nb.writeCount())
	}
	if !strings.Contains(rep.String(), "run without --dry-run") {
		t.Errorf("report:\n%s", rep)
	}

	if _, err := Run(ctx, c, testOptions()); err != nil {
		t.Fatal(err)
	}
	before := nb.writeCount()
	opts.ServiceURL = "https://elsewhere.example.com"
	rep, err = Run(ctx, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	if nb.writeCount() != before {
		t.Errorf("dry run wrote %d times", nb.writeCount()-before)
	}
	want := allActions(Unchanged)
	want[5] = "webhook hnp-gitops: would update"
	if diff := cmp.Diff(want, actions(rep)); diff != "" {
		t.Errorf("dry run after a URL change (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"payload_url"}, rep.Items[5].Changed); diff != "" {
		t.Errorf("changed fields (-want +got):\n%s", diff)
	}
}

func TestDriftIsRepaired(t *testing.T) {
	t.Parallel()
	nb := newFakeNetBox(t, "4.2.2")
	c := newClient(t, nb.srv.URL, nil)
	ctx := context.Background()
	// An admin made the webhook by hand, with another URL and no secret,
	// and shared the commit URL field with devices.
	nb.put("extras/webhooks", map[string]any{"name": "hnp-gitops", "payload_url": "http://old/webhooks/netbox",
		"http_method": "POST", "http_content_type": "application/json", "secret": "", "ssl_verification": true,
		"additional_headers": "", "body_template": "", "description": "Tells hnp-gitops that a Hedgehog fabric changed"})
	nb.put("extras/custom-fields", map[string]any{"name": "gitops_commit_url", "type": "url",
		"object_types": []any{"dcim.device"}, "label": "GitOps commit", "group_name": "GitOps",
		"description": "The commit (or pull request) that last changed the fabric's GitOps directory.",
		"ui_visible":  "if-set", "ui_editable": "yes", "weight": 103})

	rep, err := Run(ctx, c, testOptions())
	if err != nil {
		t.Fatalf("%v\n%s", err, rep)
	}
	want := allActions(Created)
	want[4] = "custom field gitops_commit_url: updated"
	want[5] = "webhook hnp-gitops: updated"
	if diff := cmp.Diff(want, actions(rep)); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"object_types", "ui_editable"}, rep.Items[4].Changed); diff != "" {
		t.Errorf("field changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"payload_url", "secret"}, rep.Items[5].Changed); diff != "" {
		t.Errorf("webhook changes (-want +got):\n%s", diff)
	}
	f := nb.find("extras/custom-fields", "gitops_commit_url")
	if diff := cmp.Diff([]any{"dcim.device", DefaultObjectType}, f["object_types"]); diff != "" {
		t.Errorf("object types kept and added (-want +got):\n%s", diff)
	}
	if s := rep.String(); strings.Contains(s, testSecret) || !strings.Contains(s, "payload_url, secret") {
		t.Errorf("report leaks the secret or misses the change:\n%s", s)
	}

	rep, err = Run(ctx, c, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed() {
		t.Errorf("third run changed:\n%s", rep)
	}
}

func TestTypeConflict(t *testing.T) {
	t.Parallel()
	nb := newFakeNetBox(t, "4.2.2")
	c := newClient(t, nb.srv.URL, nil)
	nb.put("extras/custom-fields", map[string]any{"name": "last_directory_sync", "type": "text",
		"object_types": []any{DefaultObjectType}})
	rep, err := Run(context.Background(), c, testOptions())
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	want := allActions(Created)
	want[3] = "custom field last_directory_sync: conflict"
	if diff := cmp.Diff(want, actions(rep)); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if d := rep.Items[3].Detail; !strings.Contains(d, `type is "text", want "datetime"`) {
		t.Errorf("detail %q", d)
	}
	if got := nb.find("extras/custom-fields", "last_directory_sync")["type"]; got.(map[string]any)["value"] != "text" {
		t.Errorf("the conflicting field was changed: %v", got)
	}
}

func TestWarningsAndRefusals(t *testing.T) {
	t.Parallel()
	nb := newFakeNetBox(t, "4.1.3")
	nb.workers = 0
	c := newClient(t, nb.srv.URL, nil)
	ctx := context.Background()
	opts := testOptions()
	opts.DryRun = true
	rep, err := Run(ctx, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "rq-workers-running 0") {
		t.Errorf("warnings %q", rep.Warnings)
	}

	tests := []struct {
		name    string
		version string
		opts    Options
		want    string
		is      error
	}{
		{name: "NetBox 3", version: "3.7.8", opts: testOptions(), want: "unsupported NetBox version: 3.7.8", is: ErrUnsupported},
		{name: "no service URL", version: "4.2.2", opts: Options{WebhookSecret: testSecret}, want: "is not an http(s) URL"},
		{name: "no secret", version: "4.2.2", opts: Options{ServiceURL: "http://x:8080"}, want: "no webhook secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			nb := newFakeNetBox(t, tt.version)
			_, err := Run(ctx, newClient(t, nb.srv.URL, nil), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.is)
			}
			if nb.writeCount() != 0 {
				t.Errorf("%d writes", nb.writeCount())
			}
		})
	}
}

func TestWebhookURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"http://svc:8080":          "http://svc:8080/webhooks/netbox",
		"http://svc:8080/":         "http://svc:8080/webhooks/netbox",
		"https://x.example/hnp/":   "https://x.example/hnp/webhooks/netbox",
		"https://x.example/hnp?a#": "https://x.example/hnp/webhooks/netbox",
	}
	for in, want := range tests {
		got, err := webhookURL(in)
		if err != nil || got != want {
			t.Errorf("webhookURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := webhookURL("https://u:p@x.example/"); err == nil {
		t.Error("credentials in the service URL were accepted")
	}
}

// TestEventRuleGainsRepositoryType: a rule made by an earlier version
// (fabric events only) is updated to also cover git repositories, keeping
// its id; the run after changes nothing.
func TestEventRuleGainsRepositoryType(t *testing.T) {
	t.Parallel()
	nb := newFakeNetBox(t, "4.2.2")
	c := newClient(t, nb.srv.URL, nil)
	ctx := context.Background()
	if _, err := Run(ctx, c, testOptions()); err != nil {
		t.Fatal(err)
	}
	hook := nb.find("extras/webhooks", DefaultWebhookName)
	old := nb.find("extras/event-rules", DefaultEventRuleName)
	// Replace the rule by the one an earlier version made.
	nb.mu.Lock()
	nb.objects["extras/event-rules"] = nil
	nb.mu.Unlock()
	nb.put("extras/event-rules", map[string]any{
		"name": DefaultEventRuleName, "description": "Fires the hnp-gitops webhook when a Hedgehog fabric is created or updated",
		"object_types": []any{DefaultObjectType}, "enabled": true, "event_types": []any{"object_created", "object_updated"},
		"action_type": "webhook", "action_object_type": "extras.webhook", "action_object_id": hook["id"],
	})
	before := nb.find("extras/event-rules", DefaultEventRuleName)

	rep, err := Run(ctx, c, testOptions())
	if err != nil {
		t.Fatalf("%v\n%s", err, rep)
	}
	want := allActions(Unchanged)
	want[6] = "event rule hnp-gitops fabric changes: updated"
	if diff := cmp.Diff(want, actions(rep)); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"description", "object_types"}, rep.Items[6].Changed); diff != "" {
		t.Errorf("rule changes (-want +got):\n%s", diff)
	}
	rule := nb.find("extras/event-rules", DefaultEventRuleName)
	if diff := cmp.Diff([]any{DefaultObjectType, DefaultRepositoryObjectType}, rule["object_types"]); diff != "" {
		t.Errorf("object types (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(old["object_types"], rule["object_types"]); diff != "" {
		t.Errorf("updated rule differs from a fresh one (-fresh +updated):\n%s", diff)
	}
	if rule["id"] != before["id"] {
		t.Errorf("rule id %v, want the existing %v (updated, not recreated)", rule["id"], before["id"])
	}

	rep, err = Run(ctx, c, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed() {
		t.Errorf("run after the update changed:\n%s", rep)
	}
}

// TestOperatorSettingsLeftAlone: headers an operator added to the webhook
// (for a proxy in front of the service) and its TLS verification are kept
// on later runs, and the report says so; what setup owns is still repaired.
func TestOperatorSettingsLeftAlone(t *testing.T) {
	t.Parallel()
	nb := newFakeNetBox(t, "4.3.7")
	c := newClient(t, nb.srv.URL, nil)
	ctx := context.Background()
	if _, err := Run(ctx, c, testOptions()); err != nil {
		t.Fatal(err)
	}
	hook := nb.find("extras/webhooks", "hnp-gitops")
	if hook["additional_headers"] != "" || hook["ssl_verification"] != true {
		t.Fatalf("created webhook: headers %q, ssl_verification %v", hook["additional_headers"], hook["ssl_verification"])
	}
	// The operator's edits, and one drift setup owns.
	if _, err := c.UpdateObject(ctx, netbox.EndpointWebhooks, int64(hook["id"].(float64)), map[string]any{
		"additional_headers": "X-Proxy-Auth: operator", "ssl_verification": false, "http_method": "PUT",
	}); err != nil {
		t.Fatal(err)
	}

	rep, err := Run(ctx, c, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	it := rep.Items[5]
	if it.Action != Updated || !slices.Equal(it.Changed, []string{"http_method"}) ||
		!slices.Equal(it.Kept, []string{"additional_headers", "ssl_verification"}) {
		t.Errorf("webhook item %+v; want http_method repaired, the operator's two settings kept", it)
	}
	hook = nb.find("extras/webhooks", "hnp-gitops")
	if hook["additional_headers"] != "X-Proxy-Auth: operator" || hook["ssl_verification"] != false || hook["http_method"] != "POST" {
		t.Errorf("webhook after setup: %v", hook)
	}
	if s := rep.String(); !strings.Contains(s, "(left alone: additional_headers, ssl_verification)") {
		t.Errorf("report does not say what it left alone:\n%s", s)
	}
}
