package netboxsim

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Route names a group of API requests that faults can target.
type Route string

// The routes faults can target.
const (
	RouteAll         Route = "*"            // every API request (not /_sim/)
	RouteStatus      Route = "status"       // GET /api/status/
	RouteFabricGet   Route = "fabric-get"   // GET of one fabric
	RouteFabricList  Route = "fabric-list"  // GET of the fabric list
	RouteFabricWrite Route = "fabric-write" // PATCH or PUT of one fabric (custom-field writes)
	RouteRepoGet     Route = "repo-get"     // GET of one git repository
	RouteRepoList    Route = "repo-list"    // GET of the git repository list
	RouteExtras      Route = "extras"       // any /api/extras/ request but the journal's
	RouteJournal     Route = "journal"      // any /api/extras/journal-entries/ request
	RouteChangeLog   Route = "change-log"   // GET of the change log (core, or extras on 4.0)
)

// Routes lists every route name, for flags and documentation.
var Routes = []Route{RouteAll, RouteStatus, RouteFabricGet, RouteFabricList, RouteFabricWrite, RouteRepoGet, RouteRepoList, RouteExtras, RouteJournal, RouteChangeLog}

// RouteFault is what goes wrong on one route. Counts are consumed first
// (the next Errors requests fail, then the next Timeouts hang), then the
// rates apply to every request.
type RouteFault struct {
	Latency     time.Duration `json:"latency,omitempty"`      // added before the answer
	Errors      int           `json:"errors,omitempty"`       // the next N requests answer ErrorStatus
	ErrorRate   float64       `json:"error_rate,omitempty"`   // probability of answering ErrorStatus
	ErrorStatus int           `json:"error_status,omitempty"` // 500 (NetBox's error body) by default; 502/503/504 answer like a proxy
	Timeouts    int           `json:"timeouts,omitempty"`     // the next N requests hang
	TimeoutRate float64       `json:"timeout_rate,omitempty"` // probability of hanging
	// AfterApply makes this route's errors and hangs come after the
	// request took effect (its change stored, its webhooks queued), like a
	// proxy that gives up on a slow commit: the client sees a failure for
	// a write that happened.
	AfterApply bool `json:"after_apply,omitempty"`
}

// Faults configures fault injection. Decisions come from one random source
// seeded with Seed, so a run with the same seed and the same request order
// sees the same faults.
type Faults struct {
	Seed int64 `json:"seed,omitempty"`
	// Latency is added to every API request.
	Latency time.Duration `json:"latency,omitempty"`
	// Routes holds the faults of each route; RouteAll applies to every
	// request in addition to the request's own route.
	Routes map[Route]RouteFault `json:"routes,omitempty"`
	// HangMax bounds a hang: after it the request answers 504. A hang also
	// ends when the client goes away or the server closes. Default 30s.
	HangMax time.Duration `json:"hang_max,omitempty"`
	// DropWebhooks drops the next N webhook deliveries; DropWebhookRate
	// drops each with that probability. A dropped delivery is never sent.
	DropWebhooks    int     `json:"drop_webhooks,omitempty"`
	DropWebhookRate float64 `json:"drop_webhook_rate,omitempty"`
	// DeliveryLatency delays every webhook delivery, like a busy RQ
	// worker; it is taken from the worker's time, so later jobs wait too.
	DeliveryLatency time.Duration `json:"delivery_latency,omitempty"`
	// Down resets the connection of every API request without an answer,
	// like a NetBox that is not running (the client sees a transport
	// error). /_sim/ keeps working so the standalone can be brought back.
	Down bool `json:"down,omitempty"`
}

// faultKind is the decision for one request.
type faultKind int

const (
	faultNone faultKind = iota
	faultError
	faultHang
)

type decision struct {
	kind       faultKind
	status     int
	latency    time.Duration
	afterApply bool
}

// injector holds the live fault configuration; counts are decremented as
// they are used.
type injector struct {
	mu       sync.Mutex
	f        Faults
	rng      *rand.Rand
	injected map[string]int
}

func newInjector(f Faults) *injector {
	in := &injector{injected: map[string]int{}}
	in.set(f)
	return in
}

func (in *injector) set(f Faults) {
	in.mu.Lock()
	defer in.mu.Unlock()
	f.Routes = cloneRoutes(f.Routes)
	in.f = f
	seed := uint64(f.Seed)
	in.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

func (in *injector) get() Faults {
	in.mu.Lock()
	defer in.mu.Unlock()
	f := in.f
	f.Routes = cloneRoutes(f.Routes)
	return f
}

func (in *injector) update(fn func(*Faults)) {
	in.mu.Lock()
	defer in.mu.Unlock()
	fn(&in.f)
}

func cloneRoutes(m map[Route]RouteFault) map[Route]RouteFault {
	if m == nil {
		return nil
	}
	out := make(map[Route]RouteFault, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (in *injector) down() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.f.Down
}

func (in *injector) deliveryLatency() time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.f.DeliveryLatency
}

func (in *injector) hangMax() time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.f.HangMax > 0 {
		return in.f.HangMax
	}
	return 30 * time.Second
}

// decide returns what happens to a request on route r.
func (in *injector) decide(r Route) decision {
	in.mu.Lock()
	defer in.mu.Unlock()
	d := decision{latency: in.f.Latency}
	names := []Route{RouteAll}
	if r != "" && r != RouteAll {
		names = append(names, r)
	}
	for _, name := range names {
		rf, ok := in.f.Routes[name]
		if !ok {
			continue
		}
		d.latency += rf.Latency
		if d.kind != faultNone {
			continue
		}
		switch {
		case rf.Errors > 0:
			rf.Errors--
			d.kind = faultError
		case rf.Timeouts > 0:
			rf.Timeouts--
			d.kind = faultHang
		case rf.ErrorRate > 0 && in.rng.Float64() < rf.ErrorRate:
			d.kind = faultError
		case rf.TimeoutRate > 0 && in.rng.Float64() < rf.TimeoutRate:
			d.kind = faultHang
		}
		d.afterApply = rf.AfterApply
		if d.kind == faultError {
			d.status = rf.ErrorStatus
			if d.status == 0 {
				d.status = 500
			}
			in.injected[string(name)+" error"]++
		}
		if d.kind == faultHang {
			in.injected[string(name)+" timeout"]++
		}
		in.f.Routes[name] = rf
	}
	return d
}

// dropDelivery reports whether the next webhook delivery is dropped.
func (in *injector) dropDelivery() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case in.f.DropWebhooks > 0:
		in.f.DropWebhooks--
	case in.f.DropWebhookRate > 0 && in.rng.Float64() < in.f.DropWebhookRate:
	default:
		return false
	}
	in.injected["webhook drop"]++
	return true
}

func (in *injector) counts() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string]int, len(in.injected))
	for k, v := range in.injected {
		out[k] = v
	}
	return out
}
