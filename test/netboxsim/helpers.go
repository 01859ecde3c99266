package netboxsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
)

// ErrNotFound is returned by helpers for an object that does not exist.
var ErrNotFound = errors.New("netboxsim: not found")

// APIError is a helper request that the API refused.
type APIError struct {
	Method     string
	Path       string
	StatusCode int
	Body       string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("netboxsim: %s %s: %d %s", e.Method, e.Path, e.StatusCode, e.Body)
}

// Is makes a 404 match ErrNotFound.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

// call makes an in-process API request as the token's user. It goes
// through the real handlers (validation, events, webhooks) but skips faults
// and statistics.
func (s *Server) call(method, path string, body any, out any) error {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("netboxsim: %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	ctx := context.WithValue(context.Background(), helperKey, true)
	req := httptest.NewRequestWithContext(ctx, method, s.url+path, rd)
	req.Header.Set("Authorization", "Token "+s.opts.Token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		return &APIError{Method: method, Path: path, StatusCode: rec.Code, Body: rec.Body.String()}
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			return fmt.Errorf("netboxsim: %s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

type created struct {
	ID int64 `json:"id"`
}

// CreateRepository creates a git repository through the API (an event
// rule on netbox_hedgehog.gitrepository would fire). Zero DefaultBranch,
// Provider, AuthenticationType and TimeoutSeconds take the API defaults;
// ValidateSSL is sent as given. HasCredentials sends write-only
// credentials.
func (s *Server) CreateRepository(r Repository) (Repository, error) {
	body := map[string]any{"name": r.Name, "url": r.URL, "validate_ssl": r.ValidateSSL}
	setIf(body, "provider", r.Provider)
	setIf(body, "authentication_type", r.AuthenticationType)
	setIf(body, "default_branch", r.DefaultBranch)
	setIf(body, "push_branch", r.PushBranch)
	if r.TimeoutSeconds != 0 {
		body["timeout_seconds"] = r.TimeoutSeconds
	}
	if r.HasCredentials {
		body["credentials"] = map[string]any{"token": "netboxsim-write-only"}
	}
	var c created
	if err := s.call(http.MethodPost, s.repPath, body, &c); err != nil {
		return Repository{}, err
	}
	if r.CreatedBy != "" {
		s.mu.Lock()
		s.data.repos[c.ID].CreatedBy = r.CreatedBy
		s.mu.Unlock()
	}
	got, _ := s.Repository(c.ID)
	return got, nil
}

// CreateFabric creates a fabric through the API, so the matching event
// rules fire a created webhook. Zero fields take the API defaults.
func (s *Server) CreateFabric(f Fabric) (Fabric, error) {
	var c created
	if err := s.call(http.MethodPost, s.fabPath, fabricBody(f), &c); err != nil {
		return Fabric{}, err
	}
	got, _ := s.Fabric(c.ID)
	return got, nil
}

func fabricBody(f Fabric) map[string]any {
	body := map[string]any{"name": f.Name}
	setIf(body, "description", f.Description)
	setIf(body, "status", f.Status)
	setIf(body, "gitops_directory", f.GitOpsDirectory)
	setIf(body, "archive_strategy", f.ArchiveStrategy)
	setIf(body, "kubernetes_namespace", f.KubernetesNamespace)
	if f.GitRepository != 0 {
		body["git_repository"] = f.GitRepository
	}
	if f.CustomFields != nil {
		body["custom_fields"] = f.CustomFields
	}
	return body
}

func setIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// UpdateFabric PATCHes a fabric through the API (custom_fields merge), so
// an updated webhook fires even when nothing changes.
func (s *Server) UpdateFabric(id int64, patch map[string]any) (Fabric, error) {
	if err := s.call(http.MethodPatch, objURL(s.fabPath, id), patch, nil); err != nil {
		return Fabric{}, err
	}
	got, _ := s.Fabric(id)
	return got, nil
}

// UpdateRepository PATCHes a git repository through the API, so an
// updated webhook fires for the matching event rules.
func (s *Server) UpdateRepository(id int64, patch map[string]any) (Repository, error) {
	if err := s.call(http.MethodPatch, objURL(s.repPath, id), patch, nil); err != nil {
		return Repository{}, err
	}
	got, _ := s.Repository(id)
	return got, nil
}

// DeleteFabric deletes a fabric through the API (a deleted webhook fires).
func (s *Server) DeleteFabric(id int64) error {
	return s.call(http.MethodDelete, objURL(s.fabPath, id), nil, nil)
}

// SetFabricDirect changes a fabric the way an ORM or nbshell change does:
// no validation, no event, no webhook. fn gets a copy to modify.
func (s *Server) SetFabricDirect(id int64, fn func(*Fabric)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.data.fabrics[id]
	if f == nil {
		return fmt.Errorf("netboxsim: fabric %d: %w", id, ErrNotFound)
	}
	next := f.clone()
	fn(&next)
	next.ID, next.Created, next.LastUpdated = f.ID, f.Created, time.Now()
	if next.CustomFields == nil {
		next.CustomFields = map[string]any{}
	}
	*f = next
	return nil
}

// CreateFabricDirect creates a fabric without any event or webhook, as a
// script would. Zero fields get the model defaults.
func (s *Server) CreateFabricDirect(f Fabric) (Fabric, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.data.fabrics {
		if o.Name == f.Name {
			return Fabric{}, fmt.Errorf("netboxsim: fabric %q already exists", f.Name)
		}
	}
	f = f.clone()
	f.Status = cmpOr(f.Status, "planned")
	f.GitOpsDirectory = cmpOr(f.GitOpsDirectory, "/")
	f.KubernetesNamespace = cmpOr(f.KubernetesNamespace, "default")
	if f.CustomFields == nil {
		f.CustomFields = map[string]any{}
	}
	for _, cf := range s.data.fieldsFor(FabricObjectType) {
		if _, ok := f.CustomFields[cf.Name]; !ok {
			f.CustomFields[cf.Name] = cf.Default
		}
	}
	f.ID = s.data.id("fabric")
	f.Created, f.LastUpdated = time.Now(), time.Now()
	s.data.fabrics[f.ID] = &f
	return f.clone(), nil
}

// CreateFabricsDirect is CreateFabricDirect for many fabrics at once (a
// bulk import by script): no event, no webhook, one lock, names checked
// against the store and each other in one pass. It returns the fabrics as
// stored, in the order given. Nothing is created when a name is taken.
func (s *Server) CreateFabricsDirect(fs []Fabric) ([]Fabric, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make(map[string]bool, len(s.data.fabrics)+len(fs))
	for _, o := range s.data.fabrics {
		names[o.Name] = true
	}
	for _, f := range fs {
		if names[f.Name] {
			return nil, fmt.Errorf("netboxsim: fabric %q already exists", f.Name)
		}
		names[f.Name] = true
	}
	defaults := s.data.fieldsFor(FabricObjectType)
	now := time.Now()
	out := make([]Fabric, 0, len(fs))
	for _, f := range fs {
		f = f.clone()
		f.Status = cmpOr(f.Status, "planned")
		f.GitOpsDirectory = cmpOr(f.GitOpsDirectory, "/")
		f.KubernetesNamespace = cmpOr(f.KubernetesNamespace, "default")
		if f.CustomFields == nil {
			f.CustomFields = map[string]any{}
		}
		for _, cf := range defaults {
			if _, ok := f.CustomFields[cf.Name]; !ok {
				f.CustomFields[cf.Name] = cf.Default
			}
		}
		f.ID = s.data.id("fabric")
		f.Created, f.LastUpdated = now, now
		s.data.fabrics[f.ID] = &f
		out = append(out, f.clone())
	}
	return out, nil
}

// DeleteFabricDirect deletes a fabric without any event or webhook.
func (s *Server) DeleteFabricDirect(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data.fabrics[id] == nil {
		return fmt.Errorf("netboxsim: fabric %d: %w", id, ErrNotFound)
	}
	delete(s.data.fabrics, id)
	return nil
}

// Fabric returns a copy of a stored fabric.
func (s *Server) Fabric(id int64) (Fabric, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.data.fabrics[id]
	if f == nil {
		return Fabric{}, false
	}
	return f.clone(), true
}

// Fabrics returns copies of every fabric, by id.
func (s *Server) Fabrics() []Fabric {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fabric, 0, len(s.data.fabrics))
	for _, id := range sortedIDs(s.data.fabrics) {
		out = append(out, s.data.fabrics[id].clone())
	}
	return out
}

// Repository returns a copy of a stored git repository.
func (s *Server) Repository(id int64) (Repository, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.data.repos[id]
	if r == nil {
		return Repository{}, false
	}
	return *r, true
}

// StatusChoiceSet is the name of the choice set SetupStatusFields creates.
const StatusChoiceSet = "hnp_gitops_directory_status"

// SetupStatusFields defines, through the API, the choice set and the four
// status custom fields hnp-gitops writes, as `hnp-gitops netbox setup` does
// with its defaults (the definitions mirror internal/netboxsetup, which
// cannot be imported here: its tests import this package), for tests that
// do not run the setup. It is idempotent.
func (s *Server) SetupStatusFields() error {
	var list struct {
		Results []created `json:"results"`
	}
	if err := s.call(http.MethodGet, extrasPath+"custom-field-choice-sets/?name="+StatusChoiceSet, nil, &list); err != nil {
		return err
	}
	var csID int64
	if len(list.Results) > 0 {
		csID = list.Results[0].ID
	} else {
		choices := make([][2]string, 0, len(status.All))
		for _, st := range status.All {
			choices = append(choices, [2]string{string(st), status.Labels[st]})
		}
		var c created
		if err := s.call(http.MethodPost, extrasPath+"custom-field-choice-sets/", map[string]any{
			"name": StatusChoiceSet, "extra_choices": choices, "order_alphabetically": false,
			"description": "GitOps directory status of a Hedgehog fabric (hnp-gitops)",
		}, &c); err != nil {
			return err
		}
		csID = c.ID
	}
	field := func(name, typ, label, description, visible, editable string, weight int) map[string]any {
		return map[string]any{
			"name": name, "type": typ, "object_types": []string{FabricObjectType}, "label": label,
			"description": description, "group_name": "GitOps", "ui_visible": visible, "ui_editable": editable, "weight": weight,
		}
	}
	st := field(status.FieldStatus, "select", "GitOps directory status",
		"Where the fabric's GitOps directory stands. Set to Not initialized to ask hnp-gitops for a fresh run.",
		"always", "yes", 100)
	st["choice_set"] = csID
	defs := []map[string]any{
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
	for _, d := range defs {
		if err := s.call(http.MethodGet, extrasPath+"custom-fields/?name="+d["name"].(string), nil, &list); err != nil {
			return err
		}
		if len(list.Results) > 0 {
			continue
		}
		if err := s.call(http.MethodPost, extrasPath+"custom-fields/", d, nil); err != nil {
			return err
		}
	}
	return nil
}

// AddWebhook defines, through the API, a webhook to payloadURL signed with
// secret and an event rule that sends it for fabric and git repository
// events (default object_created and object_updated), in the form of the emulated version.
// The first ones are named like `hnp-gitops netbox setup` names them
// ("hnp-gitops", "hnp-gitops fabric changes"); later ones get a number.
func (s *Server) AddWebhook(payloadURL, secret string, eventTypes ...string) (webhookID, ruleID int64, err error) {
	if len(eventTypes) == 0 {
		eventTypes = []string{"object_created", "object_updated"}
	}
	s.mu.Lock()
	n := len(s.data.webhooks)
	s.mu.Unlock()
	webhookName, ruleName := "hnp-gitops", "hnp-gitops fabric changes"
	if n > 0 {
		webhookName += fmt.Sprintf("-%d", n+1)
		ruleName += fmt.Sprintf(" %d", n+1)
	}
	var w created
	if err := s.call(http.MethodPost, extrasPath+"webhooks/", map[string]any{
		"name": webhookName, "description": "Tells hnp-gitops that a Hedgehog fabric changed",
		"payload_url": payloadURL, "http_method": "POST", "http_content_type": "application/json",
		"additional_headers": "", "body_template": "", "secret": secret, "ssl_verification": true,
	}, &w); err != nil {
		return 0, 0, err
	}
	rule := map[string]any{
		"name": ruleName, "description": "Fires the hnp-gitops webhook when a Hedgehog fabric or git repository is created or updated",
		"object_types": []string{FabricObjectType, RepositoryObjectType}, "enabled": true,
		"action_type": "webhook", "action_object_type": "extras.webhook", "action_object_id": w.ID,
	}
	if s.ver.atLeast(1) {
		rule["event_types"] = eventTypes
	} else {
		for _, lf := range legacyEventFlags {
			rule[lf.flag] = slices.Contains(eventTypes, lf.eventType)
		}
	}
	var r created
	if err := s.call(http.MethodPost, extrasPath+"event-rules/", rule, &r); err != nil {
		return 0, 0, err
	}
	return w.ID, r.ID, nil
}
