package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
)

// FormatTime formats t for a datetime custom field (status.FormatTime).
func FormatTime(t time.Time) string { return status.FormatTime(t) }

func (c *Client) fabricsPath() string { return c.pluginPath + "/" + c.fabrics + "/" }
func (c *Client) reposPath() string   { return c.pluginPath + "/" + c.repos + "/" }

// GetFabric reads one fabric.
func (c *Client) GetFabric(ctx context.Context, id int64) (*Fabric, error) {
	var f Fabric
	if err := c.getJSON(ctx, c.apiURL(c.fabricsPath()+strconv.FormatInt(id, 10)+"/", nil), &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// repoFields names the repository fields the service reads. Real HNP's full
// repository answer calls can_delete(), which saves the repository, and each
// save inside a request is serialized again: on HNP 705549aa a plain GET
// never answers (docs/real-netbox.md). NetBox's ?fields= leaves those
// serializer fields out; a name the server does not know is ignored
// (push_branch is not an HNP API field).
var repoFields = url.Values{"fields": {"id,name,url,provider,authentication_type,default_branch,push_branch,validate_ssl,timeout_seconds"}}

// GetGitRepository reads one git repository, only the fields in repoFields.
func (c *Client) GetGitRepository(ctx context.Context, id int64) (*GitRepository, error) {
	var r GitRepository
	if err := c.getJSON(ctx, c.apiURL(c.reposPath()+strconv.FormatInt(id, 10)+"/", repoFields), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ListGitRepositories lists every git repository, only the fields in
// repoFields (NetBox 4 applies ?fields= to lists too), following the pages.
func (c *Client) ListGitRepositories(ctx context.Context) ([]GitRepository, error) {
	var out []GitRepository
	err := c.list(ctx, c.reposPath(), repoFields, func(raw json.RawMessage) error {
		var r GitRepository
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// ListFabrics lists every fabric matching filter (NetBox filter parameters,
// e.g. cf_gitops_directory_status=error), following the pages.
func (c *Client) ListFabrics(ctx context.Context, filter url.Values) ([]Fabric, error) {
	var out []Fabric
	err := c.EachFabric(ctx, filter, func(f *Fabric) error {
		out = append(out, *f)
		return nil
	})
	return out, err
}

// EachFabric is ListFabrics calling each for every fabric as its page is
// decoded, so that a caller keeping less than the whole answer (the core's
// view of 10,000 fabrics) never holds every decoded fabric at once. f is
// not reused after each returns.
func (c *Client) EachFabric(ctx context.Context, filter url.Values, each func(f *Fabric) error) error {
	return c.list(ctx, c.fabricsPath(), filter, func(raw json.RawMessage) error {
		var f Fabric
		if err := json.Unmarshal(raw, &f); err != nil {
			return err
		}
		return each(&f)
	})
}

// UpdateFabricCustomFields PATCHes {"custom_fields": fields} onto a fabric;
// NetBox merges it, keeping the other custom fields. It returns the answer's
// X-Request-ID, which is the request id of the webhook event this write
// causes, so the receiver can recognise its own write.
func (c *Client) UpdateFabricCustomFields(ctx context.Context, id int64, fields map[string]any) (requestID string, err error) {
	u := c.apiURL(c.fabricsPath()+strconv.FormatInt(id, 10)+"/", nil)
	r, err := c.do(ctx, http.MethodPatch, u, map[string]any{"custom_fields": fields})
	if err != nil {
		return "", err
	}
	return r.requestID, nil
}

// Status reads /api/status/, with the time NetBox's answer was dated.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	u := c.apiURL("status/", nil)
	r, err := c.do(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	var s Status
	if err := json.Unmarshal(r.body, &s); err != nil {
		return nil, fmt.Errorf("netbox: GET %s: decode answer: %w", u.Path, err)
	}
	s.Date, _ = http.ParseTime(r.date)
	return &s, nil
}

// noRetryKey marks a request context whose request is sent once.
type noRetryKey struct{}

// Probe reads /api/status/ once, without retries: a readiness check wants
// to know whether NetBox answers now, not after the client's backoff.
func (c *Client) Probe(ctx context.Context) error {
	var s Status
	return c.getJSON(context.WithValue(ctx, noRetryKey{}, true), c.apiURL("status/", nil), &s)
}

// Version parses NetBoxVersion ("4.2.2", "v4.1.0-beta1", "4.4.0-Docker-3.3.0").
func (s *Status) Version() (major, minor int, ok bool) {
	v := strings.TrimPrefix(strings.TrimSpace(s.NetBoxVersion), "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(leadingDigits(parts[1]))
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return major, minor, true
}

func leadingDigits(s string) string {
	for i, r := range s {
		if r < '0' || r > '9' {
			return s[:i]
		}
	}
	return s
}

// page is one page of a NetBox list.
type page struct {
	Count   int               `json:"count"`
	Next    *string           `json:"next"`
	Results []json.RawMessage `json:"results"`
}

// list walks every page of the list at path, calling each for every result.
//
// NetBox's "next" is an absolute URL built from the request it received. It
// is followed only when it points at the configured scheme and host, so the
// token is never sent elsewhere; behind a proxy that rewrites the host, the
// next page is asked for at the configured URL with next's query instead.
func (c *Client) list(ctx context.Context, path string, filter url.Values, each func(json.RawMessage) error) error {
	q := url.Values{}
	for k, v := range filter {
		q[k] = append([]string(nil), v...)
	}
	if q.Get("limit") == "" {
		q.Set("limit", strconv.Itoa(pageLimit))
	}
	u := c.apiURL(path, q)
	seen := map[string]bool{}
	for pages := 0; ; pages++ {
		if pages >= maxPages {
			return fmt.Errorf("netbox: GET %s: more than %d pages", u.Path, maxPages)
		}
		seen[u.String()] = true
		var p page
		if err := c.getJSON(ctx, u, &p); err != nil {
			return err
		}
		for _, raw := range p.Results {
			if err := each(raw); err != nil {
				return fmt.Errorf("netbox: GET %s: decode result: %w", u.Path, err)
			}
		}
		if p.Next == nil || *p.Next == "" {
			return nil
		}
		next, err := c.nextURL(u, *p.Next)
		if err != nil {
			return err
		}
		if seen[next.String()] {
			return fmt.Errorf("netbox: GET %s: page loop at offset %s", u.Path, next.Query().Get("offset"))
		}
		u = next
	}
}

func (c *Client) nextURL(cur *url.URL, next string) (*url.URL, error) {
	n, err := url.Parse(next)
	if err != nil {
		return nil, fmt.Errorf("netbox: GET %s: bad next link: %w", cur.Path, err)
	}
	if n.Scheme == c.base.Scheme && n.Host == c.base.Host && n.User == nil {
		return n, nil
	}
	u := *cur
	u.RawQuery = n.RawQuery
	return &u, nil
}
