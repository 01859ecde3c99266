package deploytest

import (
	"os/exec"
	"regexp"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

const alertsTestFile = "testdata/alerts_test.yaml"

// The alert rules pass promtool's own unit tests (testdata/alerts_test.yaml).
func TestAlertRulesPromtool(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(toolPath(t, "promtool", "HNP_GITOPS_PROMTOOL"), "test", "rules", alertsTestFile)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

var alertCount = regexp.MustCompile(`expr: count\(ALERTS\{alertname="(\w+)", alertstate="firing"\}\) or vector\(0\)\n\s+eval_time: \S+\n\s+exp_samples:\n\s+- labels: '\{\}'\n\s+value: (\d+)`)

// Every rule of the alerts file has a case in which it fires and one in
// which it does not.
func TestEveryAlertHasFiringAndQuietCases(t *testing.T) {
	t.Parallel()
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, m := range alertCount.FindAllStringSubmatch(string(readFile(t, alertsTestFile)), -1) {
		if m[2] == "0" {
			quiet[m[1]] = true
		} else {
			fires[m[1]] = true
		}
	}
	var rules ruleFile
	if err := yaml.Unmarshal(readFile(t, alertsFile), &rules); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	var names []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
			if !fires[r.Alert] || !quiet[r.Alert] {
				t.Errorf("%s: firing case %v, quiet case %v in %s; want both", r.Alert, fires[r.Alert], quiet[r.Alert], alertsTestFile)
			}
		}
	}
	for a := range fires {
		if !slices.Contains(names, a) {
			t.Errorf("%s tests %s, which is not a rule", alertsTestFile, a)
		}
	}
}
