// Package config holds the settings of `hnp-gitops serve`: their flags
// (which internal/cli lets HNP_GITOPS_* environment variables fill), their
// defaults, secrets read from files, and validation at start.
//
// It must not open connections or start anything: a Config is plain data.
// Secret values never appear in String, errors or logs.
package config
