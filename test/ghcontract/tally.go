package ghcontract

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// TallyEnv names the file every contract check of a test run appends its
// counts to (one JSON line each), for the ratchet of test/cmd/ghtally.
const TallyEnv = "HNP_GHCONTRACT_TALLY"

// Tally is what one test's contract check validated.
type Tally struct {
	Package    string         `json:"package"`
	Test       string         `json:"test"`
	Exchanges  int            `json:"exchanges"`
	Operations map[string]int `json:"operations"`
}

// Record appends the check's counts to the file TallyEnv names, if it
// names one. Appends of one short line are atomic, so parallel test
// processes may share the file.
func (c *Contract) Record(pkg, test string) error {
	name := os.Getenv(TallyEnv)
	if name == "" {
		return nil
	}
	line, err := json.Marshal(Tally{Package: pkg, Test: test, Exchanges: c.Exchanges(), Operations: c.Operations()})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("ghcontract: tally: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadTally reads the lines Record appended.
func ReadTally(r io.Reader) ([]Tally, error) {
	var out []Tally
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var t Tally
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return nil, fmt.Errorf("ghcontract: tally line %d: %w", n, err)
		}
		out = append(out, t)
	}
	return out, sc.Err()
}

// Totals sums the exchanges by package, and by operation.
func Totals(ts []Tally) (byPackage, byOperation map[string]int, total int) {
	byPackage, byOperation = map[string]int{}, map[string]int{}
	for _, t := range ts {
		byPackage[t.Package] += t.Exchanges
		total += t.Exchanges
		for op, n := range t.Operations {
			byOperation[op] += n
		}
	}
	return byPackage, byOperation, total
}

// Floors are the counts a run must reach: by package, and "total".
type Floors map[string]int

// ReadFloors reads lines "name count"; # starts a comment.
func ReadFloors(r io.Reader) (Floors, error) {
	f := Floors{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.Atoi(fields[len(fields)-1])
		if len(fields) != 2 || err != nil {
			return nil, fmt.Errorf("ghcontract: floors line %d: want \"name count\", got %q", n, sc.Text())
		}
		f[fields[0]] = v
	}
	return f, sc.Err()
}

// Fallen lists the floors a run's counts fell under, one line each.
func (f Floors) Fallen(byPackage map[string]int, total int) []string {
	var out []string
	for name, floor := range f {
		got := byPackage[name]
		if name == "total" {
			got = total
		}
		if got < floor {
			out = append(out, fmt.Sprintf("%s: %d validated exchanges, under its floor of %d", name, got, floor))
		}
	}
	sort.Strings(out)
	return out
}
