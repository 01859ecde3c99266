package netboxsim

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const extrasPath = "/api/extras/"

var eventTypeChoices = []string{"object_created", "object_updated", "object_deleted", "job_started", "job_ended"}

var actionTypeChoices = []choice{{"webhook", "Webhook"}, {"script", "Script"}, {"notification", "Notification"}}

var httpMethodChoices = []choice{{"GET", "GET"}, {"POST", "POST"}, {"PUT", "PUT"}, {"PATCH", "PATCH"}, {"DELETE", "DELETE"}}

var buttonClassChoices = []choice{
	{"default", "Default"}, {"blue", "Blue"}, {"indigo", "Indigo"}, {"purple", "Purple"}, {"pink", "Pink"},
	{"red", "Red"}, {"orange", "Orange"}, {"yellow", "Yellow"}, {"green", "Green"}, {"teal", "Teal"},
	{"cyan", "Cyan"}, {"gray", "Gray"}, {"black", "Black"}, {"white", "White"}, {"ghost-dark", "Link"},
}

// extrasResource fills the parts every extras collection shares.
func extrasResource(name, objectType string) resource {
	return resource{path: extrasPath + name + "/", objectType: objectType, listRoute: RouteExtras, getRoute: RouteExtras, writeRoute: RouteExtras}
}

// uniqueName checks that no other object of a table has the name.
func uniqueName[T any](in *input, m map[int64]*T, self int64, name string, nameOf func(*T) string, what string) {
	for id, o := range m {
		if id != self && nameOf(o) == name {
			in.errs.add("name", "%s with this name already exists.", what)
			return
		}
	}
}

func (s *Server) extrasResources() []resource {
	return []resource{s.customFieldResource(), s.choiceSetResource(), s.webhookResource(), s.eventRuleResource(), s.customLinkResource(), s.journalResource()}
}

func (s *Server) customFieldResource() resource {
	res := extrasResource("custom-fields", "extras.customfield")
	res.ids = func() []int64 { return sortedIDs(s.data.cfs) }
	res.rest = func(id int64) object { return s.customFieldREST(s.data.cfs[id]) }
	res.snapshot = func(id int64) object {
		cf := s.data.cfs[id]
		var cs any
		if cf.ChoiceSet != 0 {
			cs = cf.ChoiceSet
		}
		return obj("created", djangoTime(cf.Created), "last_updated", djangoTime(cf.LastUpdated), "type", cf.Type,
			"name", cf.Name, "label", cf.Label, "group_name", cf.GroupName, "description", cf.Description,
			"required", cf.Required, "default", cf.Default, "weight", cf.Weight, "ui_visible", cf.UIVisible,
			"ui_editable", cf.UIEditable, "choice_set", cs, "object_types", cf.ObjectTypes)
	}
	res.match = func(id int64, q url.Values) bool {
		cf := s.data.cfs[id]
		return matchStrings(q, "name", cf.Name) && matchStrings(q, "type", cf.Type) && matchAny(q, "object_type", cf.ObjectTypes)
	}
	storeIn(s, &res, "customfield", func() map[int64]*customField { return s.data.cfs }, func() *customField { return &customField{Weight: 100, UIVisible: "always", UIEditable: "yes"} }, s.writeCustomField)
	res.update = func(rq *request, id int64, body map[string]any, partial bool) fieldErrors {
		cf := s.data.cfs[id]
		next := *cf
		next.ObjectTypes = slices.Clone(cf.ObjectTypes)
		if errs := s.writeCustomField(&next, body, false, partial); len(errs) > 0 {
			return errs
		}
		if next.Name != cf.Name {
			// NetBox renames the key in every object's data.
			for _, f := range s.data.fabrics {
				if v, ok := f.CustomFields[cf.Name]; ok {
					delete(f.CustomFields, cf.Name)
					f.CustomFields[next.Name] = v
				}
			}
		}
		next.LastUpdated = rq.at
		*cf = next
		return nil
	}
	res.remove = func(_ *request, id int64) *reply {
		cf := s.data.cfs[id]
		// NetBox removes the stale data from every object.
		for _, f := range s.data.fabrics {
			delete(f.CustomFields, cf.Name)
		}
		delete(s.data.cfs, id)
		return nil
	}
	return res
}

func (s *Server) writeCustomField(cf *customField, body map[string]any, create, partial bool) fieldErrors {
	in := newInput(body)
	if _, ok := body["content_types"]; ok {
		in.errs.add("content_types", "This field was renamed to object_types in NetBox 4.0.")
	}
	if create || !partial {
		in.require("name", "type", "object_types")
	}
	var name string
	in.str("name", &name, false)
	if name != "" {
		switch {
		case !cfNameRe.MatchString(name):
			in.errs.add("name", "Only alphanumeric characters and underscores are allowed.")
		case strings.Contains(name, "__"):
			in.errs.add("name", "Double underscores are not permitted in custom field names.")
		}
		uniqueName(in, s.data.cfs, cf.ID, name, func(o *customField) string { return o.Name }, "custom field")
		cf.Name = name
	}
	oldType := cf.Type
	in.choice("type", customFieldTypes, &cf.Type, false)
	if !create && oldType != cf.Type {
		in.errs.add("type", "Cannot change the type of an existing custom field.")
	}
	in.objectTypes("object_types", &cf.ObjectTypes)
	in.str("label", &cf.Label, true)
	in.str("description", &cf.Description, true)
	in.str("group_name", &cf.GroupName, true)
	in.boolean("required", &cf.Required)
	in.integer("weight", &cf.Weight)
	in.choice("ui_visible", uiVisibleChoices, &cf.UIVisible, false)
	in.choice("ui_editable", uiEditableChoices, &cf.UIEditable, false)
	if v, ok := body["default"]; ok {
		cf.Default = v
	}
	if v, ok := body["choice_set"]; ok {
		id, msg := resolveFK(v, s.data.choiceSets, func(c *choiceSet) map[string]any {
			return map[string]any{"id": c.ID, "name": c.Name}
		})
		if msg != "" {
			in.errs.add("choice_set", "%s", msg)
		} else {
			cf.ChoiceSet = id
		}
	}
	isSelect := cf.Type == "select" || cf.Type == "multiselect"
	switch {
	case len(in.errs["type"]) > 0:
	case isSelect && cf.ChoiceSet == 0 && len(in.errs["choice_set"]) == 0:
		in.errs.add("choice_set", "Selection fields must specify a set of choices.")
	case !isSelect && cf.ChoiceSet != 0:
		in.errs.add("choice_set", "Choices may be set only on selection fields.")
	}
	if len(in.errs) == 0 && cf.Default != nil {
		if _, msg := s.cleanValue(cf, cf.Default); msg != "" {
			in.errs.add("default", "Invalid default value \"%v\": %s", cf.Default, msg)
		}
	}
	return in.errs
}

func (s *Server) customFieldREST(cf *customField) object {
	var cs any
	if c := s.data.choiceSets[cf.ChoiceSet]; c != nil {
		// choices_count is a CharField in NetBox's serializers: a string.
		cs = obj("id", c.ID, "url", objURL(extrasPath+"custom-field-choice-sets/", c.ID), "display", c.Name, "name", c.Name, "description", c.Description, "choices_count", strconv.Itoa(len(c.ExtraChoices)))
	}
	dataType := map[string]string{"integer": "integer", "decimal": "decimal", "boolean": "boolean", "json": "object", "multiselect": "array", "multiobject": "array"}[cf.Type]
	if dataType == "" {
		dataType = "string"
	}
	return obj(
		"id", cf.ID,
		"url", objURL(extrasPath+"custom-fields/", cf.ID),
		"display", cmpOr(cf.Label, cf.Name),
		"object_types", cf.ObjectTypes,
		"type", choiceObj(customFieldTypes, cf.Type),
		"related_object_type", nil,
		"data_type", dataType,
		"name", cf.Name,
		"label", cf.Label,
		"group_name", cf.GroupName,
		"description", cf.Description,
		"required", cf.Required,
		"unique", false,
		"search_weight", 1000,
		"filter_logic", obj("value", "loose", "label", "Loose"),
		"ui_visible", choiceObj(uiVisibleChoices, cf.UIVisible),
		"ui_editable", choiceObj(uiEditableChoices, cf.UIEditable),
		"is_cloneable", false,
		"default", cf.Default,
		"weight", cf.Weight,
		"validation_minimum", nil,
		"validation_maximum", nil,
		"validation_regex", "",
		"choice_set", cs,
		"comments", "",
		"created", drfTime(cf.Created),
		"last_updated", drfTime(cf.LastUpdated),
	)
}

func (s *Server) choiceSetResource() resource {
	res := extrasResource("custom-field-choice-sets", "extras.customfieldchoiceset")
	res.ids = func() []int64 { return sortedIDs(s.data.choiceSets) }
	res.rest = func(id int64) object { return choiceSetREST(s.data.choiceSets[id]) }
	res.snapshot = func(id int64) object {
		c := s.data.choiceSets[id]
		return obj("created", djangoTime(c.Created), "last_updated", djangoTime(c.LastUpdated), "name", c.Name,
			"description", c.Description, "base_choices", "", "extra_choices", pairs(c.ExtraChoices), "order_alphabetically", c.OrderAlphabetically)
	}
	res.match = func(id int64, q url.Values) bool { return matchStrings(q, "name", s.data.choiceSets[id].Name) }
	storeIn(s, &res, "choiceset", func() map[int64]*choiceSet { return s.data.choiceSets }, func() *choiceSet { return &choiceSet{} }, s.writeChoiceSet)
	res.remove = func(_ *request, id int64) *reply {
		for _, cf := range s.data.cfs {
			if cf.ChoiceSet == id {
				rep := detail(http.StatusConflict, fmt.Sprintf("Unable to delete object. 1 dependent objects were found: %s", cf.Name))
				return &rep
			}
		}
		delete(s.data.choiceSets, id)
		return nil
	}
	return res
}

func (s *Server) writeChoiceSet(c *choiceSet, body map[string]any, create, partial bool) fieldErrors {
	in := newInput(body)
	if create || !partial {
		in.require("name", "extra_choices")
	}
	var name string
	in.str("name", &name, false)
	if name != "" {
		uniqueName(in, s.data.choiceSets, c.ID, name, func(o *choiceSet) string { return o.Name }, "custom field choice set")
		c.Name = name
	}
	in.str("description", &c.Description, true)
	in.boolean("order_alphabetically", &c.OrderAlphabetically)
	if v, ok := body["base_choices"]; ok && v != nil && v != "" {
		in.errs.add("base_choices", "Base choice sets are not emulated.")
	}
	if v, ok := body["extra_choices"]; ok {
		list, isList := v.([]any)
		var out [][2]string
		for _, it := range list {
			pair, ok := it.([]any)
			if !ok || len(pair) != 2 {
				isList = false
				break
			}
			val, ok1 := pair[0].(string)
			label, ok2 := pair[1].(string)
			if !ok1 || !ok2 || val == "" {
				isList = false
				break
			}
			out = append(out, [2]string{val, label})
		}
		switch {
		case !isList:
			in.errs.add("extra_choices", "Each choice must be a [value, label] pair of strings.")
		case len(out) == 0:
			in.errs.add("extra_choices", "This list may not be empty.")
		default:
			c.ExtraChoices = out
		}
	}
	return in.errs
}

func pairs(p [][2]string) []any {
	out := make([]any, len(p))
	for i, c := range p {
		out[i] = []any{c[0], c[1]}
	}
	return out
}

func choiceSetREST(c *choiceSet) object {
	return obj(
		"id", c.ID,
		"url", objURL(extrasPath+"custom-field-choice-sets/", c.ID),
		"display", c.Name,
		"name", c.Name,
		"description", c.Description,
		"base_choices", nil,
		"extra_choices", pairs(c.ExtraChoices),
		"order_alphabetically", c.OrderAlphabetically,
		"choices_count", strconv.Itoa(len(c.ExtraChoices)), // a CharField(source="choices.__len__")
		"created", drfTime(c.Created),
		"last_updated", drfTime(c.LastUpdated),
	)
}

func (s *Server) webhookResource() resource {
	res := extrasResource("webhooks", "extras.webhook")
	res.ids = func() []int64 { return sortedIDs(s.data.webhooks) }
	res.rest = func(id int64) object { return webhookREST(s.data.webhooks[id]) }
	res.snapshot = func(id int64) object {
		w := s.data.webhooks[id]
		return obj("created", djangoTime(w.Created), "last_updated", djangoTime(w.LastUpdated), "name", w.Name,
			"description", w.Description, "payload_url", w.PayloadURL, "http_method", w.HTTPMethod,
			"http_content_type", w.HTTPContentType, "additional_headers", w.AdditionalHeaders,
			"body_template", w.BodyTemplate, "secret", w.Secret, "ssl_verification", w.SSLVerification,
			"ca_file_path", w.CAFilePath, "custom_fields", obj(), "tags", []any{})
	}
	res.match = func(id int64, q url.Values) bool {
		w := s.data.webhooks[id]
		return matchStrings(q, "name", w.Name) && matchStrings(q, "payload_url", w.PayloadURL)
	}
	storeIn(s, &res, "webhook", func() map[int64]*webhook { return s.data.webhooks }, func() *webhook {
		return &webhook{HTTPMethod: "POST", HTTPContentType: "application/json", SSLVerification: true}
	}, s.writeWebhook)
	return res
}

func (s *Server) writeWebhook(w *webhook, body map[string]any, create, partial bool) fieldErrors {
	in := newInput(body)
	if create || !partial {
		in.require("name", "payload_url")
	}
	var name string
	in.str("name", &name, false)
	if name != "" {
		uniqueName(in, s.data.webhooks, w.ID, name, func(o *webhook) string { return o.Name }, "webhook")
		w.Name = name
	}
	in.str("description", &w.Description, true)
	in.str("payload_url", &w.PayloadURL, false)
	if in.has("payload_url") {
		if u, err := url.Parse(w.PayloadURL); err != nil || u.Host == "" {
			in.errs.add("payload_url", "Enter a valid URL.")
		}
	}
	in.choice("http_method", httpMethodChoices, &w.HTTPMethod, false)
	in.str("http_content_type", &w.HTTPContentType, false)
	in.str("additional_headers", &w.AdditionalHeaders, true)
	in.str("body_template", &w.BodyTemplate, true)
	in.str("secret", &w.Secret, true)
	in.boolean("ssl_verification", &w.SSLVerification)
	if v, ok := body["ca_file_path"]; ok {
		w.CAFilePath = v
	}
	for _, line := range strings.Split(w.AdditionalHeaders, "\n") {
		if strings.TrimSpace(line) != "" && !strings.Contains(line, ":") {
			in.errs.add("additional_headers", "Headers must be given as Name: Value lines.")
			break
		}
	}
	return in.errs
}

func webhookREST(w *webhook) object {
	return obj(
		"id", w.ID,
		"url", objURL(extrasPath+"webhooks/", w.ID),
		"display", w.Name,
		"name", w.Name,
		"description", w.Description,
		"payload_url", w.PayloadURL,
		"http_method", w.HTTPMethod,
		"http_content_type", w.HTTPContentType,
		"additional_headers", w.AdditionalHeaders,
		"body_template", w.BodyTemplate,
		"secret", w.Secret,
		"ssl_verification", w.SSLVerification,
		"ca_file_path", w.CAFilePath,
		"custom_fields", obj(),
		"tags", []any{},
		"created", drfTime(w.Created),
		"last_updated", drfTime(w.LastUpdated),
	)
}

func (s *Server) eventRuleResource() resource {
	res := extrasResource("event-rules", "extras.eventrule")
	res.ids = func() []int64 { return sortedIDs(s.data.rules) }
	res.rest = func(id int64) object { return s.eventRuleREST(s.data.rules[id]) }
	res.snapshot = func(id int64) object {
		r := s.data.rules[id]
		return obj("created", djangoTime(r.Created), "last_updated", djangoTime(r.LastUpdated), "name", r.Name,
			"description", r.Description, "enabled", r.Enabled, "event_types", r.EventTypes, "conditions", r.Conditions,
			"action_type", r.ActionType, "action_object_type", r.ActionObjectType, "action_object_id", r.ActionObjectID,
			"object_types", r.ObjectTypes, "custom_fields", obj(), "tags", []any{})
	}
	res.match = func(id int64, q url.Values) bool {
		r := s.data.rules[id]
		return matchStrings(q, "name", r.Name) && matchAny(q, "object_type", r.ObjectTypes) && matchAny(q, "event_type", r.EventTypes)
	}
	storeIn(s, &res, "eventrule", func() map[int64]*eventRule { return s.data.rules }, func() *eventRule { return &eventRule{Enabled: true} }, s.writeEventRule)
	return res
}

// legacyEventFlags are NetBox 4.0's event-rule booleans and the event
// types they became in 4.1.
var legacyEventFlags = []struct{ flag, eventType string }{
	{"type_create", "object_created"}, {"type_update", "object_updated"}, {"type_delete", "object_deleted"},
	{"type_job_start", "job_started"}, {"type_job_end", "job_ended"},
}

func (s *Server) writeEventRule(r *eventRule, body map[string]any, create, partial bool) fieldErrors {
	in := newInput(body)
	legacy := !s.ver.atLeast(1)
	required := []string{"name", "object_types", "action_type", "action_object_type", "action_object_id"}
	if !legacy {
		required = append(required, "event_types")
	}
	if create || !partial {
		in.require(required...)
	}
	var name string
	in.str("name", &name, false)
	if name != "" {
		uniqueName(in, s.data.rules, r.ID, name, func(o *eventRule) string { return o.Name }, "event rule")
		r.Name = name
	}
	in.str("description", &r.Description, true)
	in.objectTypes("object_types", &r.ObjectTypes)
	in.boolean("enabled", &r.Enabled)
	if legacy {
		if in.has("event_types") {
			in.errs.add("event_types", "NetBox %s has no event_types; use type_create, type_update, type_delete, type_job_start, type_job_end.", s.ver)
		}
		types := slices.Clone(r.EventTypes)
		for _, lf := range legacyEventFlags {
			var on bool
			if !in.has(lf.flag) {
				continue
			}
			in.boolean(lf.flag, &on)
			types = slices.DeleteFunc(types, func(t string) bool { return t == lf.eventType })
			if on {
				types = append(types, lf.eventType)
			}
		}
		r.EventTypes = sortEventTypes(types)
		if len(r.EventTypes) == 0 && len(in.errs) == 0 {
			in.errs.add("__all__", "At least one event type must be selected: create, update, delete, job start, and/or job end.")
		}
	} else {
		for _, lf := range legacyEventFlags {
			if in.has(lf.flag) {
				in.errs.add(lf.flag, "NetBox %s replaced %s with event_types.", s.ver, lf.flag)
			}
		}
		var types []string
		in.strList("event_types", &types, false)
		for _, t := range types {
			if !slices.Contains(eventTypeChoices, t) {
				in.errs.add("event_types", "\"%s\" is not a valid choice.", t)
			}
		}
		if types != nil {
			r.EventTypes = sortEventTypes(types)
		}
	}
	if v, ok := body["conditions"]; ok {
		if err := checkConditions(v); err != nil {
			in.errs.add("conditions", "%s", err)
		} else {
			r.Conditions = v
		}
	}
	in.choice("action_type", actionTypeChoices, &r.ActionType, false)
	in.str("action_object_type", &r.ActionObjectType, false)
	if v, ok := body["action_object_id"]; ok {
		id, ok := asInt(v)
		if !ok {
			in.errs.add("action_object_id", "A valid integer is required.")
		}
		r.ActionObjectID = id
	}
	if r.ActionType == "webhook" && len(in.errs) == 0 {
		switch {
		case r.ActionObjectType != "extras.webhook":
			in.errs.add("action_object_type", "Webhook actions must refer to extras.webhook.")
		case s.data.webhooks[r.ActionObjectID] == nil:
			in.errs.add("action_object_id", "Webhook %d not found.", r.ActionObjectID)
		}
	}
	return in.errs
}

func sortEventTypes(types []string) []string {
	out := []string{}
	for _, t := range eventTypeChoices {
		if slices.Contains(types, t) {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) eventRuleREST(r *eventRule) object {
	o := obj(
		"id", r.ID,
		"url", objURL(extrasPath+"event-rules/", r.ID),
		"display", r.Name,
		"object_types", r.ObjectTypes,
		"name", r.Name,
		"enabled", r.Enabled,
	)
	if s.ver.atLeast(1) {
		o = append(o, field{Key: "event_types", Value: r.EventTypes})
	} else {
		for _, lf := range legacyEventFlags {
			o = append(o, field{Key: lf.flag, Value: slices.Contains(r.EventTypes, lf.eventType)})
		}
	}
	var action any
	if w := s.data.webhooks[r.ActionObjectID]; w != nil && r.ActionObjectType == "extras.webhook" {
		action = obj("id", w.ID, "url", objURL(extrasPath+"webhooks/", w.ID), "display", w.Name, "name", w.Name, "description", w.Description)
	}
	return append(o,
		field{Key: "conditions", Value: r.Conditions},
		field{Key: "action_type", Value: choiceObj(actionTypeChoices, r.ActionType)},
		field{Key: "action_object_type", Value: r.ActionObjectType},
		field{Key: "action_object_id", Value: r.ActionObjectID},
		field{Key: "action_object", Value: action},
		field{Key: "description", Value: r.Description},
		field{Key: "custom_fields", Value: obj()},
		field{Key: "tags", Value: []any{}},
		field{Key: "created", Value: drfTime(r.Created)},
		field{Key: "last_updated", Value: drfTime(r.LastUpdated)},
	)
}

func (s *Server) customLinkResource() resource {
	res := extrasResource("custom-links", "extras.customlink")
	res.ids = func() []int64 { return sortedIDs(s.data.links) }
	res.rest = func(id int64) object { return customLinkREST(s.data.links[id]) }
	res.snapshot = func(id int64) object {
		l := s.data.links[id]
		return obj("created", djangoTime(l.Created), "last_updated", djangoTime(l.LastUpdated), "name", l.Name,
			"enabled", l.Enabled, "link_text", l.LinkText, "link_url", l.LinkURL, "weight", l.Weight,
			"group_name", l.GroupName, "button_class", l.ButtonClass, "new_window", l.NewWindow, "object_types", l.ObjectTypes)
	}
	res.match = func(id int64, q url.Values) bool {
		l := s.data.links[id]
		return matchStrings(q, "name", l.Name) && matchAny(q, "object_type", l.ObjectTypes)
	}
	storeIn(s, &res, "customlink", func() map[int64]*customLink { return s.data.links }, func() *customLink { return &customLink{Enabled: true, Weight: 100, ButtonClass: "default"} }, s.writeCustomLink)
	return res
}

func (s *Server) writeCustomLink(l *customLink, body map[string]any, create, partial bool) fieldErrors {
	in := newInput(body)
	if create || !partial {
		in.require("name", "object_types", "link_text", "link_url")
	}
	var name string
	in.str("name", &name, false)
	if name != "" {
		uniqueName(in, s.data.links, l.ID, name, func(o *customLink) string { return o.Name }, "custom link")
		l.Name = name
	}
	in.objectTypes("object_types", &l.ObjectTypes)
	in.boolean("enabled", &l.Enabled)
	in.str("link_text", &l.LinkText, false)
	in.str("link_url", &l.LinkURL, false)
	in.integer("weight", &l.Weight)
	in.str("group_name", &l.GroupName, true)
	in.choice("button_class", buttonClassChoices, &l.ButtonClass, false)
	in.boolean("new_window", &l.NewWindow)
	return in.errs
}

func customLinkREST(l *customLink) object {
	return obj(
		"id", l.ID,
		"url", objURL(extrasPath+"custom-links/", l.ID),
		"display", l.Name,
		"object_types", l.ObjectTypes,
		"name", l.Name,
		"enabled", l.Enabled,
		"link_text", l.LinkText,
		"link_url", l.LinkURL,
		"weight", l.Weight,
		"group_name", l.GroupName,
		"button_class", l.ButtonClass,
		"new_window", l.NewWindow,
		"created", drfTime(l.Created),
		"last_updated", drfTime(l.LastUpdated),
	)
}

// matchAny applies a filter on a list-valued field (any element matches).
func matchAny(q url.Values, key string, have []string) bool {
	vals, ok := q[key]
	if !ok {
		return true
	}
	for _, v := range vals {
		if slices.Contains(have, v) {
			return true
		}
	}
	return false
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
