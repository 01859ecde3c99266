package netboxsim

import (
	"encoding/json"
	"fmt"
	"time"
)

// Faults and RouteFault read and write durations in JSON as Go duration
// strings ("250ms"); a number is taken as nanoseconds.

type jsonDuration time.Duration

func (d jsonDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("netboxsim: duration %q: %w", s, err)
		}
		*d = jsonDuration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("netboxsim: duration %s: want a string like \"250ms\"", b)
	}
	*d = jsonDuration(n)
	return nil
}

type routeFaultJSON struct {
	Latency     jsonDuration `json:"latency,omitempty"`
	Errors      int          `json:"errors,omitempty"`
	ErrorRate   float64      `json:"error_rate,omitempty"`
	ErrorStatus int          `json:"error_status,omitempty"`
	Timeouts    int          `json:"timeouts,omitempty"`
	TimeoutRate float64      `json:"timeout_rate,omitempty"`
	AfterApply  bool         `json:"after_apply,omitempty"`
}

// MarshalJSON writes the latency as a duration string.
func (r RouteFault) MarshalJSON() ([]byte, error) {
	return json.Marshal(routeFaultJSON{jsonDuration(r.Latency), r.Errors, r.ErrorRate, r.ErrorStatus, r.Timeouts, r.TimeoutRate, r.AfterApply})
}

// UnmarshalJSON reads the latency as a duration string or nanoseconds.
func (r *RouteFault) UnmarshalJSON(b []byte) error {
	var j routeFaultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = RouteFault{time.Duration(j.Latency), j.Errors, j.ErrorRate, j.ErrorStatus, j.Timeouts, j.TimeoutRate, j.AfterApply}
	return nil
}

type faultsJSON struct {
	Seed            int64                `json:"seed,omitempty"`
	Latency         jsonDuration         `json:"latency,omitempty"`
	Routes          map[Route]RouteFault `json:"routes,omitempty"`
	HangMax         jsonDuration         `json:"hang_max,omitempty"`
	DropWebhooks    int                  `json:"drop_webhooks,omitempty"`
	DropWebhookRate float64              `json:"drop_webhook_rate,omitempty"`
	DeliveryLatency jsonDuration         `json:"delivery_latency,omitempty"`
	Down            bool                 `json:"down,omitempty"`
}

// MarshalJSON writes durations as duration strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsJSON{f.Seed, jsonDuration(f.Latency), f.Routes, jsonDuration(f.HangMax), f.DropWebhooks, f.DropWebhookRate, jsonDuration(f.DeliveryLatency), f.Down})
}

// UnmarshalJSON reads durations as duration strings or nanoseconds, and
// refuses unknown routes.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	for r := range j.Routes {
		if !knownRoute(r) {
			return fmt.Errorf("netboxsim: unknown route %q (want one of %v)", r, Routes)
		}
	}
	*f = Faults{j.Seed, time.Duration(j.Latency), j.Routes, time.Duration(j.HangMax), j.DropWebhooks, j.DropWebhookRate, time.Duration(j.DeliveryLatency), j.Down}
	return nil
}

func knownRoute(r Route) bool {
	for _, k := range Routes {
		if k == r {
			return true
		}
	}
	return false
}
