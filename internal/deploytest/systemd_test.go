package deploytest

import (
	"bufio"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/cli"
	"github.com/githedgehog/hnp-gitops/internal/config"
)

const (
	systemdUnit = repoRoot + "/examples/systemd/hnp-gitops.service"
	systemdEnv  = repoRoot + "/examples/systemd/hnp-gitops.env"
)

// The systemd example runs `serve` with real flags and variables, and gives
// SIGTERM enough time for the drain and the bounded shutdown.
func TestSystemdExample(t *testing.T) {
	t.Parallel()
	flags := serveFlags(t)
	unit := string(readFile(t, systemdUnit))
	// ExecStart with its continuation lines joined.
	start := regexp.MustCompile(`(?m)^ExecStart=\S+ serve(?:[^\n]*\\\n)*[^\n]*`).FindString(unit)
	args := regexp.MustCompile(`--([a-z0-9-]+)=`).FindAllStringSubmatch(start, -1)
	if len(args) < 3 {
		t.Fatalf("%s: ExecStart passes %d flags to serve, want the three secret files: %q", systemdUnit, len(args), start)
	}
	for _, m := range args {
		if flags.Lookup(m[1]) == nil {
			t.Errorf("ExecStart passes --%s, which serve does not have", m[1])
		}
	}
	stop := regexp.MustCompile(`(?m)^TimeoutStopSec=(\d+)$`).FindStringSubmatch(unit)
	if stop == nil {
		t.Fatalf("%s: no TimeoutStopSec", systemdUnit)
	}
	secs, _ := strconv.Atoi(stop[1])
	if need := config.DrainPeriod + config.ShutdownTimeout; time.Duration(secs)*time.Second <= need {
		t.Errorf("TimeoutStopSec=%d does not cover the drain and the shutdown (%s)", secs, need)
	}
	sc := bufio.NewScanner(strings.NewReader(string(readFile(t, systemdEnv))))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, ok := strings.Cut(line, "=")
		flag := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, cli.EnvPrefix), "_", "-"))
		if !ok || !strings.HasPrefix(name, cli.EnvPrefix) || flags.Lookup(flag) == nil {
			t.Errorf("%s: %q is not a setting of serve", systemdEnv, line)
		}
		if strings.Contains(strings.ToLower(name), "token") || strings.Contains(strings.ToLower(name), "secret") {
			if !strings.HasSuffix(name, "_FILE") {
				t.Errorf("%s: %s puts a secret in the environment; pass a file", systemdEnv, name)
			}
		}
	}
}
