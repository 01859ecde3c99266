package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Core endpoints that `netbox setup` manages, relative to /api/.
const (
	EndpointCustomFields = "extras/custom-fields"
	EndpointChoiceSets   = "extras/custom-field-choice-sets"
	EndpointWebhooks     = "extras/webhooks"
	EndpointEventRules   = "extras/event-rules"
	EndpointCustomLinks  = "extras/custom-links"
)

// Object is a NetBox object in its REST representation, as decoded JSON.
type Object map[string]any

// ID returns the object's id, 0 when absent.
func (o Object) ID() int64 {
	switch v := o["id"].(type) {
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	}
	return 0
}

// String returns a string field, or the value of a {value, label} choice.
func (o Object) String(key string) string { return choiceString(o[key]) }

// ListObjects lists the objects at an extras endpoint (e.g.
// EndpointWebhooks) matching filter, following the pages.
func (c *Client) ListObjects(ctx context.Context, endpoint string, filter url.Values) ([]Object, error) {
	path, err := extrasPath(endpoint)
	if err != nil {
		return nil, err
	}
	var out []Object
	err = c.list(ctx, path, filter, func(raw json.RawMessage) error {
		var o Object
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		out = append(out, o)
		return nil
	})
	return out, err
}

// CreateObject POSTs body to an extras endpoint and returns the created
// object. It is not retried (see checkRetry).
func (c *Client) CreateObject(ctx context.Context, endpoint string, body map[string]any) (Object, error) {
	path, err := extrasPath(endpoint)
	if err != nil {
		return nil, err
	}
	return c.writeObject(ctx, http.MethodPost, c.apiURL(path, nil), body)
}

// UpdateObject PATCHes body onto the object id at an extras endpoint and
// returns the updated object.
func (c *Client) UpdateObject(ctx context.Context, endpoint string, id int64, body map[string]any) (Object, error) {
	path, err := extrasPath(endpoint)
	if err != nil {
		return nil, err
	}
	return c.writeObject(ctx, http.MethodPatch, c.apiURL(path+strconv.FormatInt(id, 10)+"/", nil), body)
}

func (c *Client) writeObject(ctx context.Context, method string, u *url.URL, body map[string]any) (Object, error) {
	r, err := c.do(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	var o Object
	if err := json.Unmarshal(r.body, &o); err != nil {
		return nil, fmt.Errorf("netbox: %s %s: decode answer: %w", method, u.Path, err)
	}
	return o, nil
}

// extrasPath checks that endpoint is an extras endpoint and gives its path
// with a trailing slash.
func extrasPath(endpoint string) (string, error) {
	e := strings.Trim(endpoint, "/")
	if !strings.HasPrefix(e, "extras/") || strings.Contains(e, "..") || strings.ContainsAny(e, "?#") {
		return "", fmt.Errorf("netbox: endpoint %q is not an extras endpoint", endpoint)
	}
	return e + "/", nil
}
