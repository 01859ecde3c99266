// Package netbox is a small typed client for the NetBox REST API endpoints
// hnp-gitops needs: the Hedgehog plugin's fabrics and git repositories, the
// fabric custom fields, /api/status/, and the extras endpoints that
// `netbox setup` configures. It is built on go-retryablehttp and retries only
// 5xx answers and network errors, never a 4xx and never a POST (a create
// whose answer was lost may have happened). Route gives metrics a
// low-cardinality route template of each request.
//
// It must not log, and no error it returns contains the API token.
package netbox
