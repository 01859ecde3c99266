// Package status names the fabric custom fields that hnp-gitops writes back
// into NetBox and the values of the GitOps directory status. These names are
// the ones HNP's own design chose; NetBox shows them on the fabric page.
//
// It is plain data shared by the NetBox client, the webhook receiver (which
// must recognise the service's own writes) and the reconciler.
package status

import "time"

// Custom field names on netbox_hedgehog.hedgehogfabric.
const (
	FieldStatus    = "gitops_directory_status" // select, one of the Status values
	FieldError     = "directory_init_error"    // longtext, empty on success
	FieldLastSync  = "last_directory_sync"     // datetime, +00:00 form
	FieldCommitURL = "gitops_commit_url"       // url of the commit or pull request
)

// Fields lists the four custom fields the service owns, in display order.
var Fields = []string{FieldStatus, FieldError, FieldLastSync, FieldCommitURL}

// Status is the value of the gitops_directory_status custom field.
type Status string

// The GitOps directory statuses. A user sets NotInitialized to ask for a
// fresh run.
const (
	NotInitialized   Status = "not_initialized"
	Initializing     Status = "initializing"
	Initialized      Status = "initialized"
	Error            Status = "error"
	InvalidStructure Status = "invalid_structure"
)

// All lists every status, in lifecycle order.
var All = []Status{NotInitialized, Initializing, Initialized, Error, InvalidStructure}

// Labels gives the human label of each status, as shown in NetBox.
var Labels = map[Status]string{
	NotInitialized:   "Not initialized",
	Initializing:     "Initializing",
	Initialized:      "Initialized",
	Error:            "Error",
	InvalidStructure: "Invalid structure",
}

// TimeLayout is the datetime form of FieldLastSync: the one NetBox accepts
// in every version (4.0 rejects a "Z" suffix).
const TimeLayout = "2006-01-02T15:04:05+00:00"

// FormatTime formats t for FieldLastSync, in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }
