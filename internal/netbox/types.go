package netbox

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
)

// Fabric is the part of a HedgehogFabric the service reads.
type Fabric struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// GitRepositoryID is the id of the fabric's GitRepository, 0 when none.
	// The API gives it as an integer or as a nested object; both decode here.
	GitRepositoryID     int64          `json:"-"`
	GitOpsDirectory     string         `json:"gitops_directory"`
	ArchiveStrategy     string         `json:"-"` // plain value, "" when absent
	KubernetesNamespace string         `json:"kubernetes_namespace"`
	CustomFields        map[string]any `json:"custom_fields"`
	URL                 string         `json:"url"`
}

// CustomFieldString returns a custom field as a string: a plain string, the
// "value" of a {"value","label"} choice, or "" when unset.
func (f *Fabric) CustomFieldString(name string) string { return choiceString(f.CustomFields[name]) }

// choiceString is a decoded string, or the "value" of a decoded
// {"value","label"} choice, else "".
func choiceString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if s, ok := v["value"].(string); ok {
			return s
		}
	}
	return ""
}

// GitRepository is the plugin's GitRepository object. Its credentials are
// stored encrypted by the plugin and never returned by the API.
type GitRepository struct {
	ID                 int64  `json:"id"`
	Name               string `json:"name"`
	URL                string `json:"url"`
	Provider           string `json:"-"`
	AuthenticationType string `json:"-"`
	DefaultBranch      string `json:"default_branch"`
	PushBranch         string `json:"push_branch"`
	ValidateSSL        bool   `json:"validate_ssl"`
	TimeoutSeconds     int    `json:"timeout_seconds"`
	HasCredentials     bool   `json:"has_credentials"`
}

// Branch is the branch the service writes to: push_branch when set, else
// default_branch, else main.
func (r *GitRepository) Branch() string {
	switch {
	case r.PushBranch != "":
		return r.PushBranch
	case r.DefaultBranch != "":
		return r.DefaultBranch
	}
	return "main"
}

// Status is what GET /api/status/ reports.
type Status struct {
	NetBoxVersion    string         `json:"netbox-version"`
	Plugins          map[string]any `json:"plugins"`
	RQWorkersRunning int            `json:"rq-workers-running"`
	// Date is the answer's HTTP Date (whole seconds), zero when absent.
	Date time.Time `json:"-"`
}

// Sentinel conditions; an *APIError matches them with errors.Is. They are
// the core's kinds of failure (internal/fabric), under NetBox's names.
var (
	ErrNotFound = fabric.ErrNotFound
	ErrAuth     = fabric.ErrUnauthorized
	ErrInvalid  = fabric.ErrRejected
	// ErrUnknownCustomField is a 400 naming a custom field NetBox does not
	// have ("Unknown field name ... in custom field data").
	ErrUnknownCustomField = fabric.ErrUnknownStatusField
	// ErrBlankModelField is a 400 in which NetBox's validation of the whole
	// object refused a field the request did not send ("This field cannot
	// be blank."): HNP 705549aa's fabric JSON fields, which lack
	// blank=True (BlankFields names them).
	ErrBlankModelField = fabric.ErrBlankField
)

// APIError is a non-2xx answer from NetBox.
type APIError struct {
	Method     string
	Path       string // without query, host or token
	StatusCode int
	Detail     string              // the "detail" of 401/403/404, or the 500 "exception"
	Fields     map[string][]string // 400 field errors
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "netbox: %s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "; %s: %s", k, strings.Join(e.Fields[k], " "))
		}
	}
	return b.String()
}

// Is maps status codes to the sentinel conditions.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == 404
	case ErrAuth:
		return e.StatusCode == 401 || e.StatusCode == 403
	case ErrInvalid:
		return e.StatusCode == 400
	case ErrUnknownCustomField:
		return e.StatusCode == 400 && slices.ContainsFunc(e.Fields["custom_fields"], func(m string) bool {
			return strings.Contains(m, "Unknown field name")
		})
	case ErrBlankModelField:
		return e.StatusCode == 400 && len(e.BlankFields()) > 0
	}
	return false
}

// BlankFields names, sorted, the fields of a 400 that NetBox refused as
// blank ("This field cannot be blank.").
func (e *APIError) BlankFields() []string {
	var out []string
	for k, msgs := range e.Fields {
		if slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, "cannot be blank") }) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Temporary reports whether retrying later may help (5xx).
func (e *APIError) Temporary() bool { return e.StatusCode >= 500 }

// AnswerCode is NetBox's HTTP status (fabric.Answered).
func (e *APIError) AnswerCode() int { return e.StatusCode }
