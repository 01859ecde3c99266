// Package fgd is the fabric GitOps directory (FGD) engine: given the listing
// of one FGD at a branch head and the content of the few files it asks for,
// it computes the change set that lays out the directory and ingests the
// YAML dropped into it (see docs/fgd.md for the contract as implemented).
//
// It is pure. It takes values and returns values: it must not use os,
// net/http, time.Now, randomness or a logger, and it must never produce a path
// outside the FGD's own layout. The same input always gives the same bytes,
// so a second run on its own output changes nothing.
package fgd
