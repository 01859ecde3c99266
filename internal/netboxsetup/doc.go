// Package netboxsetup configures a NetBox for hnp-gitops, idempotently: the
// choice set and the four status custom fields on the HNP fabric, the
// webhook that points at the service, the event rule that fires it on
// fabric creates and updates, and a custom link to the last GitOps commit.
//
// Objects are found by name; what is missing is created, what differs is
// updated, and a second run changes nothing. It must not delete anything,
// must not change a custom field's type (it reports a conflict instead),
// and must never put the webhook secret into its report or errors. It does
// not log: Run returns a Report for the caller to print.
package netboxsetup
