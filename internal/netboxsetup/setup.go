package netboxsetup

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/githedgehog/hnp-gitops/internal/netbox"
	"github.com/githedgehog/hnp-gitops/internal/redact"
)

// NetBox is what Run needs of a NetBox client; *netbox.Client has it.
type NetBox interface {
	Status(ctx context.Context) (*netbox.Status, error)
	ListObjects(ctx context.Context, endpoint string, filter url.Values) ([]netbox.Object, error)
	CreateObject(ctx context.Context, endpoint string, body map[string]any) (netbox.Object, error)
	UpdateObject(ctx context.Context, endpoint string, id int64, body map[string]any) (netbox.Object, error)
}

// Default names of the objects Run manages.
const (
	DefaultObjectType = netbox.FabricObjectType
	// DefaultRepositoryObjectType is the plugin's git repository: a
	// change to one reconciles the fabrics that use it.
	DefaultRepositoryObjectType = netbox.RepositoryObjectType
	DefaultChoiceSetName        = "hnp_gitops_directory_status"
	DefaultWebhookName          = "hnp-gitops"
	DefaultEventRuleName        = "hnp-gitops fabric changes"
	DefaultCustomLinkName       = "GitOps commit"
	DefaultFieldGroup           = "GitOps"

	// WebhookPath is where the service receives NetBox webhooks.
	WebhookPath = "/webhooks/netbox"
)

// Options says where NetBox reaches the service and how the objects are
// named. Empty names take the defaults above.
type Options struct {
	// ServiceURL is where NetBox reaches the service, e.g.
	// http://hnp-gitops.netbox.svc:8080; the webhook posts to
	// ServiceURL + WebhookPath.
	ServiceURL string
	// WebhookSecret signs the deliveries (X-Hook-Signature).
	WebhookSecret string
	// DryRun reports what would change and writes nothing.
	DryRun bool

	ObjectType string
	// RepositoryObjectType is the second object type of the event rule.
	RepositoryObjectType string
	ChoiceSetName        string
	WebhookName          string
	EventRuleName        string
	CustomLinkName       string
	FieldGroup           string
}

func (o *Options) defaults() {
	set := func(p *string, def string) {
		if *p == "" {
			*p = def
		}
	}
	set(&o.ObjectType, DefaultObjectType)
	set(&o.RepositoryObjectType, DefaultRepositoryObjectType)
	set(&o.ChoiceSetName, DefaultChoiceSetName)
	set(&o.WebhookName, DefaultWebhookName)
	set(&o.EventRuleName, DefaultEventRuleName)
	set(&o.CustomLinkName, DefaultCustomLinkName)
	set(&o.FieldGroup, DefaultFieldGroup)
}

// Errors of Run.
var (
	// ErrConflict means an object exists in a form Run must not change (a
	// custom field of another type, or several objects of one name).
	ErrConflict = errors.New("netboxsetup: conflict")
	// ErrUnsupported means the NetBox version is older than 4.0.
	ErrUnsupported = errors.New("netboxsetup: unsupported NetBox version")
)

// Run ensures every object exists as the service needs it. The report
// lists what it did (or would do, with DryRun). When some object is in
// conflict, Run still handles the others and returns the report with an
// error matching ErrConflict.
func Run(ctx context.Context, nb NetBox, o Options) (*Report, error) {
	o.defaults()
	payloadURL, err := webhookURL(o.ServiceURL)
	if err != nil {
		return nil, err
	}
	if o.WebhookSecret == "" {
		return nil, fmt.Errorf("netboxsetup: no webhook secret: the service rejects unsigned deliveries")
	}
	st, err := nb.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("netboxsetup: read status: %w", err)
	}
	rep := &Report{NetBoxVersion: st.NetBoxVersion, DryRun: o.DryRun}
	legacyEvents := false
	switch major, minor, ok := st.Version(); {
	case !ok:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("cannot read NetBox version %q; assuming 4.1 or later", st.NetBoxVersion))
	case major < 4:
		return nil, fmt.Errorf("%w: %s (need 4.0 or later)", ErrUnsupported, st.NetBoxVersion)
	case major == 4 && minor == 0:
		legacyEvents = true
	}
	if st.RQWorkersRunning == 0 {
		rep.Warnings = append(rep.Warnings, "NetBox reports rq-workers-running 0: no webhook will be delivered until an RQ worker runs (the periodic resync still works)")
	}
	if !hasHedgehogPlugin(st.Plugins) {
		rep.Warnings = append(rep.Warnings, "the Hedgehog plugin (netbox_hedgehog) is not listed in /api/status/ plugins: the custom fields need its fabric object type")
	}

	s := &setup{nb: nb, o: o, rep: rep}
	choiceSetID := s.ensure(ctx, choiceSetSpec(o))
	for _, spec := range customFieldSpecs(o, choiceSetID) {
		s.ensure(ctx, spec)
	}
	hookID := s.ensure(ctx, webhookSpec(o, payloadURL))
	if hookID == 0 && !o.DryRun && s.err == nil {
		// The webhook is in conflict: pointing the rule at id 0 would break it.
		rep.Items = append(rep.Items, Item{Kind: kindEventRule, Name: o.EventRuleName, Action: Skipped,
			Detail: "the webhook it fires is unresolved"})
	} else {
		// In a dry run that would create the webhook, hookID is 0 and an
		// existing rule shows as "would update" its action_object_id.
		s.ensure(ctx, eventRuleSpec(o, hookID, legacyEvents))
	}
	s.ensure(ctx, customLinkSpec(o))

	if s.err != nil {
		return rep, s.err
	}
	if n := len(rep.Conflicts()); n > 0 {
		return rep, fmt.Errorf("%w: %d object(s) need a manual fix, see the report", ErrConflict, n)
	}
	return rep, nil
}

func webhookURL(service string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(service))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("netboxsetup: service URL %q is not an http(s) URL", service)
	}
	if u.User != nil {
		return "", fmt.Errorf("netboxsetup: service URL must not carry credentials")
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimSuffix(u.Path, "/") + WebhookPath
	u.RawPath = ""
	return u.String(), nil
}

func hasHedgehogPlugin(plugins map[string]any) bool {
	for name := range plugins {
		if strings.Contains(strings.ToLower(name), "hedgehog") {
			return true
		}
	}
	return false
}

// spec is one object Run manages: where it lives, its name, and the fields
// it must have.
type spec struct {
	kind     string
	endpoint string
	name     string
	fields   map[string]any
	// fixed names fields that cannot change once created: a difference is
	// a conflict, not an update.
	fixed []string
	// initial holds fields set on create only: an operator's own setting
	// (a proxy's header, TLS verification of a private CA) is left alone
	// and reported as such.
	initial map[string]any
}

type setup struct {
	nb  NetBox
	o   Options
	rep *Report
	err error // the first hard error; later steps are skipped
}

// ensure makes one object match sp and returns its id (0 when it does not
// exist, as in a dry run).
func (s *setup) ensure(ctx context.Context, sp spec) int64 {
	if s.err != nil {
		return 0
	}
	item := Item{Kind: sp.kind, Name: sp.name}
	id, err := s.ensureItem(ctx, sp, &item)
	if err != nil {
		err = scrub(err, s.o.WebhookSecret)
		s.err = fmt.Errorf("netboxsetup: %s %q: %w", sp.kind, sp.name, err)
		item.Action = Failed
		item.Detail = err.Error()
	}
	s.rep.Items = append(s.rep.Items, item)
	return id
}

func (s *setup) ensureItem(ctx context.Context, sp spec, item *Item) (int64, error) {
	found, err := s.nb.ListObjects(ctx, sp.endpoint, url.Values{"name": {sp.name}})
	if err != nil {
		return 0, err
	}
	var existing []netbox.Object
	for _, obj := range found {
		if obj.String("name") == sp.name { // the filter may be looser than exact
			existing = append(existing, obj)
		}
	}
	switch len(existing) {
	case 0:
		if s.o.DryRun {
			item.Action = WouldCreate
			return 0, nil
		}
		obj, err := s.nb.CreateObject(ctx, sp.endpoint, createBody(sp))
		if err != nil {
			return 0, err
		}
		item.Action, item.ID = Created, obj.ID()
		return obj.ID(), nil
	case 1:
	default:
		item.Action = Conflict
		item.Detail = fmt.Sprintf("%d objects have this name", len(existing))
		return 0, nil
	}

	obj := existing[0]
	item.ID = obj.ID()
	item.Kept = sortedKeys(diff(spec{fields: sp.initial}, obj))
	changed := diff(sp, obj)
	for _, f := range sp.fixed {
		if changed[f] != nil {
			item.Action = Conflict
			item.Detail = fmt.Sprintf("%s is %q, want %q; NetBox cannot change it: delete or rename the object and run setup again", f, describe(obj[f]), describe(sp.fields[f]))
			return obj.ID(), nil
		}
	}
	if len(changed) == 0 {
		item.Action = Unchanged
		return obj.ID(), nil
	}
	item.Changed = sortedKeys(changed)
	if s.o.DryRun {
		item.Action = WouldUpdate
		return obj.ID(), nil
	}
	if _, err := s.nb.UpdateObject(ctx, sp.endpoint, obj.ID(), changed); err != nil {
		return obj.ID(), err
	}
	item.Action = Updated
	return obj.ID(), nil
}

// createBody is the name and every field of the spec.
func createBody(sp spec) map[string]any {
	body := make(map[string]any, len(sp.fields)+len(sp.initial)+1)
	body["name"] = sp.name
	for k, v := range sp.initial {
		body[k] = v
	}
	for k, v := range sp.fields {
		body[k] = v
	}
	return body
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// scrub keeps the webhook secret out of an error's text, in case NetBox
// echoes a value back; the result still unwraps to err.
func scrub(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &scrubbedError{msg: redact.Secrets(err.Error(), secret), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
