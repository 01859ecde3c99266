package deploytest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"

	"github.com/githedgehog/hnp-gitops/internal/metrics"
)

// targetLabels are attached by Prometheus to every scraped series; a query
// may match on them although the service does not export them.
var targetLabels = map[string]bool{"job": true, "namespace": true, "instance": true, "pod": true, "service": true, "endpoint": true, "container": true}

// family is what a query may rely on about one exported series name.
type family struct {
	typ    dto.MetricType
	labels map[string]map[string]bool // label name -> values seen (pre-initialised)
}

type fakeQueue struct{}

// okTransport answers every request with 200 and GitHub's rate-limit headers.
type okTransport struct{}

func (okTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := http.Header{}
	h.Set("X-Ratelimit-Remaining", "4999")
	h.Set("X-Ratelimit-Reset", "1767225600")
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: http.NoBody, Request: req}, nil
}

func (fakeQueue) Len() int                 { return 0 }
func (fakeQueue) OldestAge() time.Duration { return 0 }

// newTestMetrics builds the real collectors, with a queue and one request
// through each counting transport, so that every family has a series.
func newTestMetrics(t *testing.T) *metrics.Metrics {
	t.Helper()
	m := metrics.New(metrics.BuildInfo{Version: "v0.0.0-test", Revision: "test"})
	m.ObserveQueue(fakeQueue{})
	// Families with a route label have no series until a request is made.
	route := func(*http.Request) string { return "GET /route" }
	for _, rt := range []http.RoundTripper{m.GitHubTransport(okTransport{}, route), m.NetBoxTransport(okTransport{}, route), m.GitTransport(okTransport{}, route)} {
		req, err := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	return m
}

// exported gathers the real registry and returns every queryable
// hnp_gitops_* series name: histograms contribute _bucket (with le), _sum and
// _count. The base families are returned too, for coverage checks.
func exported(t *testing.T) (series map[string]family, bases map[string]dto.MetricType) {
	t.Helper()
	m := newTestMetrics(t)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	series = map[string]family{}
	bases = map[string]dto.MetricType{}
	for _, mf := range mfs {
		name := mf.GetName()
		if !strings.HasPrefix(name, "hnp_gitops_") {
			continue
		}
		bases[name] = mf.GetType()
		labels := map[string]map[string]bool{}
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if labels[lp.GetName()] == nil {
					labels[lp.GetName()] = map[string]bool{}
				}
				labels[lp.GetName()][lp.GetValue()] = true
			}
		}
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			withLe := map[string]map[string]bool{"le": nil}
			for k, v := range labels {
				withLe[k] = v
			}
			series[name+"_bucket"] = family{mf.GetType(), withLe}
			series[name+"_sum"] = family{mf.GetType(), labels}
			series[name+"_count"] = family{mf.GetType(), labels}
			continue
		}
		series[name] = family{mf.GetType(), labels}
	}
	if len(bases) == 0 {
		t.Fatal("the metrics registry exports no hnp_gitops_* family")
	}
	return series, bases
}

var (
	selectorRE = regexp.MustCompile(`\b(hnp_gitops_[a-zA-Z0-9_]+)\s*(\{[^}]*\})?`)
	matcherRE  = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$`)
	byRE       = regexp.MustCompile(`\b(?:by|without|on|ignoring)\s*\(([^)]*)\)`)
	literalAlt = regexp.MustCompile(`^[a-zA-Z0-9_]+(\|[a-zA-Z0-9_]+)*$`)
)

// checkExpr reports every problem of one PromQL expression against the real
// series: unknown metric names, unknown labels, label values the service
// never exports, grouping by labels no metric in the query has, unbalanced
// brackets. It returns the base families the expression uses.
func checkExpr(series map[string]family, expr string) (used []string, problems []string) {
	if err := balanced(expr); err != "" {
		problems = append(problems, err)
	}
	labelsInQuery := map[string]bool{}
	for _, m := range selectorRE.FindAllStringSubmatch(expr, -1) {
		name, sel := m[1], m[2]
		f, ok := series[name]
		if !ok {
			problems = append(problems, "unknown metric "+name)
			continue
		}
		used = append(used, baseName(name, f))
		for l := range f.labels {
			labelsInQuery[l] = true
		}
		if sel == "" {
			continue
		}
		for _, part := range splitMatchers(strings.Trim(sel, "{}")) {
			mm := matcherRE.FindStringSubmatch(part)
			if mm == nil {
				problems = append(problems, "cannot read matcher "+part+" of "+name)
				continue
			}
			label, op, value := mm[1], mm[2], mm[3]
			if targetLabels[label] {
				continue
			}
			values, ok := f.labels[label]
			if !ok {
				problems = append(problems, name+" has no label "+label)
				continue
			}
			if values == nil || strings.Contains(value, "$") {
				continue // le, or a dashboard variable
			}
			switch op {
			case "=":
				if !values[value] {
					problems = append(problems, name+"{"+label+"} never has the value "+value)
				}
			case "=~":
				if literalAlt.MatchString(value) {
					for _, alt := range strings.Split(value, "|") {
						if !values[alt] {
							problems = append(problems, name+"{"+label+"} never has the value "+alt)
						}
					}
					continue
				}
				re, err := regexp.Compile("^(?:" + value + ")$")
				if err != nil {
					problems = append(problems, "bad regexp "+value)
					continue
				}
				hit := false
				for v := range values {
					hit = hit || re.MatchString(v)
				}
				if !hit {
					problems = append(problems, name+"{"+label+"=~"+value+"} matches no value")
				}
			}
		}
	}
	for _, m := range byRE.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[1], ",") {
			l = strings.TrimSpace(l)
			if l != "" && !targetLabels[l] && !labelsInQuery[l] {
				problems = append(problems, "groups by "+l+", which no metric in the query has")
			}
		}
	}
	return used, problems
}

func baseName(name string, f family) string {
	if f.typ == dto.MetricType_HISTOGRAM {
		for _, s := range []string{"_bucket", "_sum", "_count"} {
			if strings.HasSuffix(name, s) {
				return strings.TrimSuffix(name, s)
			}
		}
	}
	return name
}

// splitMatchers splits a selector body at commas outside quotes.
func splitMatchers(s string) []string {
	var parts []string
	var cur strings.Builder
	inQuote, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"':
			inQuote = !inQuote
		case r == ',' && !inQuote:
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	if strings.TrimSpace(cur.String()) != "" {
		parts = append(parts, cur.String())
	}
	return parts
}

func balanced(expr string) string {
	pairs := map[rune]rune{')': '(', '}': '{', ']': '['}
	var stack []rune
	inQuote := false
	for _, r := range expr {
		if r == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			continue
		}
		switch r {
		case '(', '{', '[':
			stack = append(stack, r)
		case ')', '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				return "unbalanced " + string(r)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 || inQuote {
		return "unclosed bracket or quote"
	}
	return ""
}

// dashboardExprs returns every PromQL expression of the dashboard: panel
// targets and templating queries.
func dashboardExprs(t *testing.T) map[string]string {
	t.Helper()
	var dash map[string]any
	if err := json.Unmarshal(readFile(t, dashboardFile), &dash); err != nil {
		t.Fatalf("%s is not JSON: %v", dashboardFile, err)
	}
	if dash["uid"] == "" || dash["title"] == "" {
		t.Errorf("dashboard lacks uid or title")
	}
	exprs := map[string]string{}
	panels, _ := dash["panels"].([]any)
	ids := map[float64]bool{}
	for _, p := range panels {
		p := p.(map[string]any)
		title, _ := p["title"].(string)
		id, _ := p["id"].(float64)
		if ids[id] {
			t.Errorf("panel %q reuses id %v", title, id)
		}
		ids[id] = true
		if p["type"] == "row" {
			continue
		}
		targets, _ := p["targets"].([]any)
		if len(targets) == 0 {
			t.Errorf("panel %q has no query", title)
		}
		for _, tg := range targets {
			tg := tg.(map[string]any)
			e, _ := tg["expr"].(string)
			if e == "" {
				t.Errorf("panel %q has a target without expr", title)
			}
			exprs["panel "+title+" "+tg["refId"].(string)] = e
		}
	}
	templ, _ := dash["templating"].(map[string]any)
	vars, _ := templ["list"].([]any)
	for _, v := range vars {
		v := v.(map[string]any)
		if q, ok := v["query"].(map[string]any); ok {
			exprs["variable "+v["name"].(string)] = q["query"].(string)
		}
	}
	return exprs
}

func TestDashboardQueriesRealMetrics(t *testing.T) {
	t.Parallel()
	series, bases := exported(t)
	used := map[string]bool{}
	for where, e := range dashboardExprs(t) {
		u, problems := checkExpr(series, e)
		for _, p := range problems {
			t.Errorf("dashboard %s: %s\n\t%s", where, p, e)
		}
		for _, n := range u {
			used[n] = true
		}
	}
	// Every family the service exports has a panel: a new metric needs one.
	var missing []string
	for n := range bases {
		if !used[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no dashboard panel queries %v; add one to %s", missing, dashboardFile)
	}
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func TestAlertRulesQueryRealMetrics(t *testing.T) {
	t.Parallel()
	series, _ := exported(t)
	var rf ruleFile
	dec := yaml.NewDecoder(strings.NewReader(string(readFile(t, alertsFile))))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	var names []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("group %s: rule %q lacks alert or expr", g.Name, r.Alert)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			if sev := r.Labels["severity"]; sev != "critical" && sev != "warning" && sev != "info" {
				t.Errorf("%s: severity %q", r.Alert, sev)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs summary and description", r.Alert)
			}
			if !strings.Contains(r.Expr, `job="hnp-gitops"`) {
				t.Errorf("%s: expr does not select job=\"hnp-gitops\": %s", r.Alert, r.Expr)
			}
			_, problems := checkExpr(series, r.Expr)
			for _, p := range problems {
				t.Errorf("%s: %s\n\t%s", r.Alert, p, r.Expr)
			}
		}
	}
	// The conditions operators were promised an alert for.
	want := []string{
		"HnpGitopsAbsent", "HnpGitopsDown", "HnpGitopsFabricsInError", "HnpGitopsFabricsNotInitialized",
		"HnpGitopsGitHubRateLimitLow", "HnpGitopsGitWebhookBadSignature", "HnpGitopsNetBoxAuthFailing", "HnpGitopsQueueBacklog", "HnpGitopsReconcileFailures", "HnpGitopsResyncNotRunning", "HnpGitopsStatusWritesRefused",
		"HnpGitopsWebhookBadSignature", "HnpGitopsWebhooksNotArriving",
	}
	slices.Sort(names)
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
}

// TestQueryChecker makes sure the checker above finds what it is meant to,
// so that a green dashboard test means something.
func TestQueryChecker(t *testing.T) {
	t.Parallel()
	series, _ := exported(t)
	tests := []struct {
		name, expr string
		want       []string
	}{
		{"fine", `sum by (result) (rate(hnp_gitops_webhook_deliveries_total{job="hnp-gitops", result=~"accepted|self"}[5m]))`, nil},
		{"histogram bucket", `histogram_quantile(0.9, sum by (le) (rate(hnp_gitops_reconcile_duration_seconds_bucket[5m])))`, nil},
		{"unknown metric", `rate(hnp_gitops_webhooks_total[5m])`, []string{"unknown metric hnp_gitops_webhooks_total"}},
		{"unknown label", `hnp_gitops_fabrics{state="error"}`, []string{"hnp_gitops_fabrics has no label state"}},
		{"unknown value", `hnp_gitops_fabrics{status="broken"}`, []string{"hnp_gitops_fabrics{status} never has the value broken"}},
		{"unknown alternative", `hnp_gitops_fabrics{status=~"error|broken"}`, []string{"hnp_gitops_fabrics{status} never has the value broken"}},
		{"grouping by a missing label", `sum by (route) (hnp_gitops_commits_total)`, []string{"groups by route, which no metric in the query has"}},
		{"unbalanced", `sum(rate(hnp_gitops_commits_total[5m])`, []string{"unclosed bracket or quote"}},
		{"no bucket on a counter", `hnp_gitops_commits_total_bucket`, []string{"unknown metric hnp_gitops_commits_total_bucket"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, got := checkExpr(series, tt.expr)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDashboardLayout keeps the panels on Grafana's 24-column grid without
// overlaps, and every panel on the data source variable.
func TestDashboardLayout(t *testing.T) {
	t.Parallel()
	var dash struct {
		Panels []struct {
			Title      string                   `json:"title"`
			Type       string                   `json:"type"`
			Datasource map[string]any           `json:"datasource"`
			GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(readFile(t, dashboardFile), &dash); err != nil {
		t.Fatal(err)
	}
	type rect struct {
		title      string
		x, y, w, h int
	}
	var placed []rect
	for _, p := range dash.Panels {
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v is off the 24-column grid", p.Title, g)
		}
		if p.Type != "row" && (p.Datasource == nil || p.Datasource["uid"] != "${datasource}") {
			t.Errorf("panel %q does not use the ${datasource} variable: %v", p.Title, p.Datasource)
		}
		r := rect{p.Title, g.X, g.Y, g.W, g.H}
		for _, o := range placed {
			if r.x < o.x+o.w && o.x < r.x+r.w && r.y < o.y+o.h && o.y < r.y+r.h {
				t.Errorf("panels %q and %q overlap", r.title, o.title)
			}
		}
		placed = append(placed, r)
	}
}
