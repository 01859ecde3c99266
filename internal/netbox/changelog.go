package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/status"
)

// The HNP models whose change-log entries the service reads.
const (
	FabricObjectType     = "netbox_hedgehog.hedgehogfabric"
	RepositoryObjectType = "netbox_hedgehog.gitrepository"
)

// Change-log endpoints: core since NetBox 4.1, extras on 4.0.
const (
	changesPath       = "core/object-changes/"
	legacyChangesPath = "extras/object-changes/"
)

// objectChange is the part of a change-log entry the service reads.
type objectChange struct {
	Time     time.Time       `json:"time"`
	ObjectID int64           `json:"changed_object_id"`
	Pre      json.RawMessage `json:"prechange_data"`
	Post     json.RawMessage `json:"postchange_data"`
}

// Changes lists the change-log entries of fabrics and git repositories
// written at or after since, with StatusOnly set for the writes that
// touched nothing but the service's status custom fields.
func (s Fabrics) Changes(ctx context.Context, since time.Time) ([]fabric.Change, error) {
	var out []fabric.Change
	for _, t := range []struct {
		objectType string
		kind       fabric.ChangeKind
	}{{FabricObjectType, fabric.FabricChanged}, {RepositoryObjectType, fabric.RepositoryChanged}} {
		filter := url.Values{"changed_object_type": {t.objectType}, "time_after": {FormatTime(since)}}
		err := s.Client.changeLog(ctx, filter, func(ch objectChange) {
			out = append(out, fabric.Change{Kind: t.kind, ID: ch.ObjectID, Time: ch.Time, StatusOnly: statusOnly(ch.Pre, ch.Post)})
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ProbeChangeLog reads one page of one entry of the fabrics' change log:
// nil when the token may read it (what the catch-up after a start needs).
func (c *Client) ProbeChangeLog(ctx context.Context) error {
	q := url.Values{"changed_object_type": {FabricObjectType}, "limit": {"1"}}
	return c.atChangeLog(func(path string) error { return c.getJSON(ctx, c.apiURL(path, q), &page{}) })
}

// changeLog walks the change log with filter.
func (c *Client) changeLog(ctx context.Context, filter url.Values, each func(objectChange)) error {
	return c.atChangeLog(func(path string) error {
		return c.list(ctx, path, filter, func(raw json.RawMessage) error {
			var ch objectChange
			if err := json.Unmarshal(raw, &ch); err != nil {
				return err
			}
			each(ch)
			return nil
		})
	})
}

// atChangeLog runs read at the change log's endpoint: core since NetBox
// 4.1; on a 404 there (NetBox 4.0), extras, which is then remembered.
func (c *Client) atChangeLog(read func(path string) error) error {
	if !c.legacyChanges.Load() {
		err := read(changesPath)
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		c.legacyChanges.Store(true)
	}
	if err := read(legacyChangesPath); err != nil {
		return fmt.Errorf("netbox: change log: %w", err)
	}
	return nil
}

// statusOnly reports whether a change's snapshots differ in nothing but
// the service's status custom fields and the last_updated stamp. A create
// or delete (one snapshot missing) is never status-only.
func statusOnly(pre, post json.RawMessage) bool {
	var a, b map[string]any
	if json.Unmarshal(pre, &a) != nil || json.Unmarshal(post, &b) != nil || a == nil || b == nil {
		return false
	}
	return reflect.DeepEqual(withoutStatus(a), withoutStatus(b))
}

func withoutStatus(snap map[string]any) map[string]any {
	out := maps.Clone(snap)
	delete(out, "last_updated")
	if cf, ok := out["custom_fields"].(map[string]any); ok {
		cf = maps.Clone(cf)
		for _, name := range status.Fields {
			delete(cf, name)
		}
		out["custom_fields"] = cf
	}
	return out
}
