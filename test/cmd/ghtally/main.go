// Command ghtally is the ratchet of the GitHub contract checks: after a
// test run with HNP_GHCONTRACT_TALLY set, it prints how many exchanges were
// validated against GitHub's description (in all, by package and by
// operation), and fails when a count falls under its floor or when a route
// label of githubapi.Route names an operation no test called.
//
//	ghtally -tally FILE [-floors test/ghcontract/floors.txt] [-update] [-routes=false]
//
// -update writes the floors of this run (to raise them after adding tests).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/test/ghcontract"
)

func main() {
	tally := flag.String("tally", "", "the file the tests appended their counts to")
	floors := flag.String("floors", "test/ghcontract/floors.txt", "the floors: lines \"package count\" and \"total count\"")
	update := flag.Bool("update", false, "write this run's counts as the floors")
	routes := flag.Bool("routes", true, "also fail when a route label of githubapi.Route was never called (the whole of make test)")
	flag.Parse()
	if err := run(os.Stdout, *tally, *floors, *update, *routes); err != nil {
		fmt.Fprintln(os.Stderr, "ghtally:", err)
		os.Exit(1)
	}
}

func run(out io.Writer, tallyFile, floorsFile string, update, routes bool) error {
	f, err := os.Open(tallyFile)
	if err != nil {
		return fmt.Errorf("%w (run the tests with %s set)", err, ghcontract.TallyEnv)
	}
	defer f.Close()
	ts, err := ghcontract.ReadTally(f)
	if err != nil {
		return err
	}
	byPkg, byOp, total := ghcontract.Totals(ts)
	fmt.Fprintf(out, "GitHub contract: %d exchanges validated against GitHub's description, in %d tests\n", total, len(ts))
	printCounts(out, "  ", byPkg)
	printCounts(out, "  operation ", byOp)
	if update {
		return writeFloors(floorsFile, byPkg, total)
	}
	var bad []string
	fl, err := os.Open(floorsFile)
	if err != nil {
		return err
	}
	defer fl.Close()
	floor, err := ghcontract.ReadFloors(fl)
	if err != nil {
		return err
	}
	bad = append(bad, floor.Fallen(byPkg, total)...)
	for _, r := range githubapi.Routes() {
		if routes && byOp[r] == 0 {
			bad = append(bad, fmt.Sprintf("route label %q: no test called it through the contract check (or it is not an operation of GitHub's description)", r))
		}
	}
	for _, b := range bad {
		fmt.Fprintln(out, "FAIL", b)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d contract ratchet failures", len(bad))
	}
	return nil
}

func printCounts(out io.Writer, prefix string, m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "%s%-62s %6d\n", prefix, k, m[k])
	}
}

func writeFloors(name string, byPkg map[string]int, total int) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	fmt.Fprintln(f, "# The GitHub contract ratchet (test/cmd/ghtally): validated exchanges a")
	fmt.Fprintln(f, "# `make test` run must reach, by package and in all. Written by")
	fmt.Fprintln(f, "# `ghtally -update`, then lowered by hand to the smallest of several runs")
	fmt.Fprintln(f, "# (retries under faults vary a little); raise it, never lower it.")
	printCounts(f, "", byPkg)
	fmt.Fprintf(f, "total %d\n", total)
	return f.Close()
}
