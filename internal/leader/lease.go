package leader

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/redact"
)

// MicroTimeFormat is the wire format of a Lease's acquireTime and renewTime
// (metav1.MicroTime).
const MicroTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

var (
	// ErrNotFound: the Lease does not exist (HTTP 404).
	ErrNotFound = errors.New("leader: lease not found")
	// ErrConflict: the Lease changed since it was read, or already exists
	// (HTTP 409); someone else wrote first.
	ErrConflict = errors.New("leader: lease conflict")
	// ErrUnauthorized: the API server refused the token (HTTP 401 or 403).
	ErrUnauthorized = errors.New("leader: unauthorized")
	// errLost: while leading, the Lease turned out to be held by another
	// identity.
	errLost = errors.New("leader: lease held by another identity")
)

// APIError is a response of the Kubernetes API server other than success.
// errors.Is matches ErrNotFound, ErrConflict and ErrUnauthorized by status.
type APIError struct {
	Method     string
	Path       string
	StatusCode int
	// Message is the Status message of the response, shortened, with the
	// token removed should a server echo it.
	Message string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("leader: %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is maps the status code to the package's sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	}
	return false
}

// lease is a coordination.k8s.io/v1 Lease. Metadata is kept as raw fields so
// that a PUT sends back the labels, annotations and anything else unchanged.
type lease struct {
	APIVersion string                     `json:"apiVersion"`
	Kind       string                     `json:"kind"`
	Metadata   map[string]json.RawMessage `json:"metadata"`
	Spec       leaseSpec                  `json:"spec"`
}

type leaseSpec struct {
	HolderIdentity       *string `json:"holderIdentity,omitempty"`
	LeaseDurationSeconds *int32  `json:"leaseDurationSeconds,omitempty"`
	AcquireTime          *string `json:"acquireTime,omitempty"`
	RenewTime            *string `json:"renewTime,omitempty"`
	LeaseTransitions     *int32  `json:"leaseTransitions,omitempty"`
	Strategy             *string `json:"strategy,omitempty"`
	PreferredHolder      *string `json:"preferredHolder,omitempty"`
}

func (s *leaseSpec) holder() string {
	if s.HolderIdentity == nil {
		return ""
	}
	return *s.HolderIdentity
}

func (s *leaseSpec) transitions() int32 {
	if s.LeaseTransitions == nil {
		return 0
	}
	return *s.LeaseTransitions
}

// record is what the elector compares between two reads to tell whether
// the holder is alive: any change of it counts as a sign of life.
func (s *leaseSpec) record() string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (l *lease) resourceVersion() string {
	var rv string
	_ = json.Unmarshal(l.Metadata["resourceVersion"], &rv)
	return rv
}

func microTime(t time.Time) *string {
	s := t.UTC().Format(MicroTimeFormat)
	return &s
}

func ptr[T any](v T) *T { return &v }

// seconds is d rounded up to whole seconds, at least 1: the API's
// leaseDurationSeconds must be positive.
func seconds(d time.Duration) int32 {
	s := int32((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// client reads and writes one Lease.
type client struct {
	cfg       *Config
	http      *http.Client
	namespace string
	name      string
}

func (c *client) collectionPath() string {
	return "/apis/coordination.k8s.io/v1/namespaces/" + url.PathEscape(c.namespace) + "/leases"
}

func (c *client) leasePath() string {
	return c.collectionPath() + "/" + url.PathEscape(c.name)
}

func (c *client) get(ctx context.Context) (*lease, error) {
	return c.do(ctx, http.MethodGet, c.leasePath(), nil)
}

func (c *client) create(ctx context.Context, l *lease) (*lease, error) {
	return c.do(ctx, http.MethodPost, c.collectionPath(), l)
}

func (c *client) update(ctx context.Context, l *lease) (*lease, error) {
	return c.do(ctx, http.MethodPut, c.leasePath(), l)
}

// maxBody caps what is read of a response; a Lease is well under 4 KiB.
const maxBody = 1 << 20

func (c *client) do(ctx context.Context, method, path string, body *lease) (*lease, error) {
	token, err := readToken(c.cfg.TokenFile)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("leader: encode lease: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.cfg.Host, "/")+path, rd)
	if err != nil {
		return nil, fmt.Errorf("leader: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the URL, which carries no credentials.
		return nil, fmt.Errorf("leader: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("leader: %s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &APIError{Method: method, Path: path, StatusCode: resp.StatusCode, Message: statusMessage(b, token)}
	}
	var l lease
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("leader: %s %s: decode lease: %w", method, path, err)
	}
	return &l, nil
}

// statusMessage extracts the message of a metav1.Status body, shortened and
// with the token removed.
func statusMessage(b []byte, token string) string {
	var st struct {
		Message string `json:"message"`
		Reason  string `json:"reason"`
	}
	msg := ""
	if json.Unmarshal(b, &st) == nil && (st.Message != "" || st.Reason != "") {
		msg = st.Reason
		if st.Message != "" {
			msg = strings.TrimSpace(st.Reason + " " + st.Message)
		}
	} else {
		msg = strings.TrimSpace(string(b))
	}
	msg = redact.Secrets(msg, token)
	msg = strings.Join(strings.Fields(msg), " ")
	const maxMsg = 200
	if len(msg) > maxMsg {
		msg = strings.ToValidUTF8(msg[:maxMsg], "") + "…"
	}
	return msg
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
