package netboxsim

import (
	"maps"
	"time"
)

// Fabric is a HedgehogFabric as stored: custom fields hold plain values as
// decoded from the request (a select is its value, a datetime the string
// as written, a number a json.Number).
type Fabric struct {
	ID                  int64          `json:"id"`
	Name                string         `json:"name"`
	Description         string         `json:"description"`
	Status              string         `json:"status"`
	GitRepository       int64          `json:"git_repository"` // 0 when none
	GitOpsDirectory     string         `json:"gitops_directory"`
	ArchiveStrategy     string         `json:"archive_strategy"` // "" when absent
	KubernetesNamespace string         `json:"kubernetes_namespace"`
	CustomFields        map[string]any `json:"custom_fields"`
	Created             time.Time      `json:"created"`
	LastUpdated         time.Time      `json:"last_updated"`
}

func (f Fabric) clone() Fabric {
	f.CustomFields = maps.Clone(f.CustomFields)
	return f
}

// Repository is the plugin's GitRepository. Credentials are write-only:
// only HasCredentials is kept.
type Repository struct {
	ID                 int64  `json:"id"`
	Name               string `json:"name"`
	URL                string `json:"url"` // the git URL
	Provider           string `json:"provider"`
	AuthenticationType string `json:"authentication_type"`
	DefaultBranch      string `json:"default_branch"`
	PushBranch         string `json:"push_branch"`
	ValidateSSL        bool   `json:"validate_ssl"`
	TimeoutSeconds     int    `json:"timeout_seconds"`
	// CreatedBy is the user who made it ("": the API token's user); it
	// matters with Options.HNPQuirks.
	CreatedBy      string    `json:"created_by,omitempty"`
	HasCredentials bool      `json:"has_credentials"`
	Created        time.Time `json:"created"`
	LastUpdated    time.Time `json:"last_updated"`
}

type customField struct {
	ID          int64
	Name        string
	Label       string
	Description string
	GroupName   string
	Type        string
	ObjectTypes []string
	Required    bool
	Default     any
	Weight      int
	UIVisible   string
	UIEditable  string
	ChoiceSet   int64
	Created     time.Time
	LastUpdated time.Time
}

type choiceSet struct {
	ID                  int64
	Name                string
	Description         string
	ExtraChoices        [][2]string
	OrderAlphabetically bool
	Created             time.Time
	LastUpdated         time.Time
}

func (c *choiceSet) label(v string) (string, bool) {
	for _, ch := range c.ExtraChoices {
		if ch[0] == v {
			return ch[1], true
		}
	}
	return "", false
}

type webhook struct {
	ID                int64
	Name              string
	Description       string
	PayloadURL        string
	HTTPMethod        string
	HTTPContentType   string
	AdditionalHeaders string
	BodyTemplate      string
	Secret            string
	SSLVerification   bool
	CAFilePath        any
	Created           time.Time
	LastUpdated       time.Time
}

type eventRule struct {
	ID               int64
	Name             string
	Description      string
	ObjectTypes      []string
	Enabled          bool
	EventTypes       []string // object_created, object_updated, object_deleted, job_started, job_ended
	Conditions       any
	ActionType       string
	ActionObjectType string
	ActionObjectID   int64
	Created          time.Time
	LastUpdated      time.Time
}

type customLink struct {
	ID          int64
	Name        string
	ObjectTypes []string
	Enabled     bool
	LinkText    string
	LinkURL     string
	Weight      int
	GroupName   string
	ButtonClass string
	NewWindow   bool
	Created     time.Time
	LastUpdated time.Time
}

// store is the emulator's database. It is guarded by Server.mu.
type store struct {
	nextID     map[string]int64
	fabrics    map[int64]*Fabric
	repos      map[int64]*Repository
	cfs        map[int64]*customField
	choiceSets map[int64]*choiceSet
	webhooks   map[int64]*webhook
	rules      map[int64]*eventRule
	links      map[int64]*customLink
	patchLog   map[int64][]PatchEntry
	patches    map[int64]int
	changes    map[int64]*objectChange
	journal    map[int64]*journalEntry
}

func newStore() *store {
	return &store{
		nextID:     map[string]int64{},
		fabrics:    map[int64]*Fabric{},
		repos:      map[int64]*Repository{},
		cfs:        map[int64]*customField{},
		choiceSets: map[int64]*choiceSet{},
		webhooks:   map[int64]*webhook{},
		rules:      map[int64]*eventRule{},
		links:      map[int64]*customLink{},
		patchLog:   map[int64][]PatchEntry{},
		patches:    map[int64]int{},
		changes:    map[int64]*objectChange{},
		journal:    map[int64]*journalEntry{},
	}
}

// id returns the next primary key of a table; keys are never reused, as
// in PostgreSQL.
func (st *store) id(table string) int64 {
	st.nextID[table]++
	return st.nextID[table]
}

// fieldsFor returns the custom fields defined for an object type, ordered
// like NetBox's (group, weight, name).
func (st *store) fieldsFor(objectType string) []*customField {
	var out []*customField
	for _, cf := range st.cfs {
		for _, ot := range cf.ObjectTypes {
			if ot == objectType {
				out = append(out, cf)
				break
			}
		}
	}
	sortFields(out)
	return out
}

func (st *store) fieldByName(objectType, name string) *customField {
	for _, cf := range st.fieldsFor(objectType) {
		if cf.Name == name {
			return cf
		}
	}
	return nil
}
