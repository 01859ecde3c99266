// Package crdschema checks Kubernetes custom resources against the OpenAPI
// v3 schemas of their CustomResourceDefinitions, with the verdicts of the
// Kubernetes API server under strict field validation (kubectl apply
// --validate=strict): unknown fields are errors, not pruned; nulls, defaults
// and object metadata are handled as the API server handles them before it
// validates.
//
// The Hedgehog CRDs (crds/, see its README for source, version and licence)
// are built in; Load reads another set, e.g. a newer Hedgehog release's.
// Schemas are compiled once into a small checker. A schema keyword the
// checker does not implement is refused when the set is loaded, never
// silently ignored. The reference implementation,
// k8s.io/apiextensions-apiserver, is the oracle of the tests.
//
// It is pure: values in, values out; no os, network, clock or logger.
package crdschema
