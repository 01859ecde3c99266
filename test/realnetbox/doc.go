// Package realnetbox holds the end-to-end cases written once and run
// against two NetBoxes: the emulator test/netboxsim (always, in `go test
// ./...`) and a real NetBox 4.3.7 with the real Hedgehog NetBox Plugin
// (`make test-real`, build tag realnetbox), once with HNP as published
// ("stock") and once with its blank=True patch ("patched").
//
// The real stack comes from scripts/real-netbox.sh; `make test-real` starts
// it and exports its addresses and tokens (HNP_REAL_NETBOX_*). Without
// them the real tests fail with the command to run, never skip.
//
// Objects are made as users make them on HNP 705549aa: fabrics through
// HNP's REST API with a superuser's token (its UI add form crashes, see
// docs/real-netbox.md); git repositories with the ORM, because HNP's
// repository POST never answers. Every secret value is a fake.
package realnetbox
