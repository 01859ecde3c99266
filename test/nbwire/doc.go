// Package nbwire writes what NetBox writes, for the tests and emulators:
// the one encoder of Python's json.dumps (how NetBox's RQ worker renders a
// webhook body) and of Django REST framework's compact JSON (how its API
// answers), with ordered objects as Python dicts keep them, and webhook
// bodies of every NetBox payload form (4.0 to 4.7).
//
// Test support only: the service parses webhooks with pkg/netboxhook and
// never encodes one.
package nbwire
