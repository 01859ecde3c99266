//go:build race

package e2e

// raceEnabled: the race detector slows the service several times over, so
// timing targets are reported but not asserted.
const raceEnabled = true
