// Package netboxsim is an in-process NetBox emulator for tests and demos: an
// HTTP server on loopback that speaks NetBox's REST conventions for the
// Hedgehog NetBox Plugin's fabrics and git repositories and for the extras
// endpoints `netbox setup` configures (custom fields, choice sets, webhooks,
// event rules, custom links), validates and merges fabric custom fields like
// NetBox does, and delivers signed webhooks through event rules the way
// NetBox's RQ worker does: asynchronously after the response, one request per
// object and matching rule, in the body form of the configured NetBox version,
// and with no retries.
//
// Tests drive it through the Go helpers on *Server (CreateFabric goes through
// the real API path and fires webhooks; SetFabricDirect changes data the way
// an ORM or nbshell change does, without any webhook) and inspect it through
// Deliveries, Stats and PatchLog. Faults (latency, 5xx, hangs, dropped
// deliveries, a down switch) are set with SetFaults at any time and are
// deterministic for a given seed and request order.
//
// It is a test double: it must not be imported by production packages, it
// keeps everything in memory, and it does not log (failed deliveries are
// recorded in Deliveries and Stats instead).
package netboxsim
