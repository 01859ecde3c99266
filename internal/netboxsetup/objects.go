package netboxsetup

import (
	"github.com/githedgehog/hnp-gitops/internal/netbox"
	"github.com/githedgehog/hnp-gitops/internal/status"
)

// Kinds of object, as the report names them.
const (
	kindChoiceSet   = "choice set"
	kindCustomField = "custom field"
	kindWebhook     = "webhook"
	kindEventRule   = "event rule"
	kindCustomLink  = "custom link"
)

func choiceSetSpec(o Options) spec {
	choices := make([]any, 0, len(status.All))
	for _, st := range status.All {
		choices = append(choices, []any{string(st), status.Labels[st]})
	}
	return spec{
		kind: kindChoiceSet, endpoint: netbox.EndpointChoiceSets, name: o.ChoiceSetName,
		fields: map[string]any{
			"description":          "GitOps directory status of a Hedgehog fabric (hnp-gitops)",
			"extra_choices":        choices,
			"order_alphabetically": false, // keep lifecycle order
		},
	}
}

// customFieldSpecs gives the four status fields. Only the status is
// editable: a user sets it to not_initialized to ask for a fresh run.
func customFieldSpecs(o Options, choiceSetID int64) []spec {
	field := func(name, typ, label, description, visible, editable string, weight int) spec {
		return spec{
			kind: kindCustomField, endpoint: netbox.EndpointCustomFields, name: name,
			fields: map[string]any{
				"type":         typ,
				"object_types": []any{o.ObjectType},
				"label":        label,
				"description":  description,
				"group_name":   o.FieldGroup,
				"ui_visible":   visible,
				"ui_editable":  editable,
				"weight":       weight,
			},
			fixed: []string{"type"},
		}
	}
	st := field(status.FieldStatus, "select", "GitOps directory status",
		"Where the fabric's GitOps directory stands. Set to Not initialized to ask hnp-gitops for a fresh run.",
		"always", "yes", 100)
	// A nested reference: NetBox looks it up by all its attributes, its
	// schema requires the name, and some emulators read only the id. It is
	// compared by name.
	ref := map[string]any{"name": o.ChoiceSetName}
	if choiceSetID != 0 {
		ref["id"] = choiceSetID
	}
	st.fields["choice_set"] = ref
	return []spec{
		st,
		field(status.FieldError, "longtext", "Directory init error",
			"The last error hnp-gitops met for this fabric; empty on success. Written by hnp-gitops.",
			"if-set", "no", 101),
		field(status.FieldLastSync, "datetime", "Last directory sync",
			"When hnp-gitops last confirmed the GitOps directory in its target state.",
			"if-set", "no", 102),
		field(status.FieldCommitURL, "url", "GitOps commit",
			"The commit (or pull request) that last changed the fabric's GitOps directory.",
			"if-set", "no", 103),
	}
}

func webhookSpec(o Options, payloadURL string) spec {
	return spec{
		kind: kindWebhook, endpoint: netbox.EndpointWebhooks, name: o.WebhookName,
		fields: map[string]any{
			"description":       "Tells hnp-gitops that a Hedgehog fabric changed",
			"payload_url":       payloadURL,
			"http_method":       "POST",
			"http_content_type": "application/json",
			// The service reads NetBox's default body; a template would
			// break it.
			"body_template": "",
			"secret":        o.WebhookSecret,
		},
		// The operator's: headers a proxy in front of the service needs,
		// and TLS verification (off for a self-signed service certificate).
		initial: map[string]any{"additional_headers": "", "ssl_verification": true},
	}
}

// eventRuleSpec fires the webhook on creates and updates of fabrics and of
// git repositories (a repository change reconciles the fabrics on it).
// NetBox 4.0 has booleans per event; 4.1 replaced them with event_types.
func eventRuleSpec(o Options, webhookID int64, legacy bool) spec {
	fields := map[string]any{
		"description":        "Fires the hnp-gitops webhook when a Hedgehog fabric or git repository is created or updated",
		"object_types":       []any{o.ObjectType, o.RepositoryObjectType},
		"enabled":            true,
		"action_type":        "webhook",
		"action_object_type": "extras.webhook",
		"action_object_id":   webhookID,
	}
	if legacy {
		fields["type_create"] = true
		fields["type_update"] = true
	} else {
		fields["event_types"] = []any{"object_created", "object_updated"}
	}
	return spec{kind: kindEventRule, endpoint: netbox.EndpointEventRules, name: o.EventRuleName, fields: fields}
}

// customLinkSpec is a button on the fabric page. NetBox hides a custom link
// whose text renders empty, so the button shows only once a commit exists.
func customLinkSpec(o Options) spec {
	return spec{
		kind: kindCustomLink, endpoint: netbox.EndpointCustomLinks, name: o.CustomLinkName,
		fields: map[string]any{
			"object_types": []any{o.ObjectType},
			"enabled":      true,
			"link_text":    "{% if object.cf." + status.FieldCommitURL + " %}GitOps commit{% endif %}",
			"link_url":     "{{ object.cf." + status.FieldCommitURL + " }}",
			"button_class": "blue",
			"new_window":   true,
			"weight":       100,
		},
	}
}
