package deploytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/githedgehog/hnp-gitops/internal/config"
)

// valueSets are the two ways the chart is rendered in these tests: its
// defaults, and every option switched on.
var valueSets = []struct {
	name  string
	args  []string
	kinds []string
	// leaderElection: the set enables it, which needs the service
	// account token (and only then is it mounted).
	leaderElection bool
}{
	{
		name:  "defaults",
		kinds: []string{"Deployment", "Pod", "Service", "Service", "ServiceAccount"},
	},
	{
		name: "all options",
		args: []string{"-f", allValuesFile},
		kinds: []string{"ConfigMap", "Deployment", "Ingress", "NetworkPolicy", "Pod", "PodDisruptionBudget",
			"PrometheusRule", "Role", "RoleBinding", "Service", "Service", "ServiceAccount", "ServiceMonitor"},
		leaderElection: true,
	},
}

func TestHelmLint(t *testing.T) {
	t.Parallel()
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"lint", "--strict", chartDir, "--kube-version", kubeVersion}, vs.args...)
			out, stderr, err := runHelm(t, args...)
			if err != nil {
				t.Fatalf("helm lint: %v\n%s%s", err, out, stderr)
			}
			for _, bad := range []string{"[ERROR]", "[WARNING]", "Fail:"} {
				if strings.Contains(out+stderr, bad) {
					t.Errorf("helm lint reports %s:\n%s%s", bad, out, stderr)
				}
			}
		})
	}
}

func TestHelmTemplateKinds(t *testing.T) {
	t.Parallel()
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			t.Parallel()
			ms := render(t, vs.args...)
			var kinds []string
			for _, m := range ms {
				kinds = append(kinds, m.Kind)
				// Every object lives in the release namespace, except the
				// dashboard, which may go where Grafana's sidecar looks.
				md := m.Raw["metadata"].(map[string]any)
				if ns := md["namespace"]; ns != releaseNS && m.Kind != "ConfigMap" {
					t.Errorf("%s %s: namespace %v, want %s", m.Kind, m.Name, ns, releaseNS)
				}
				labels, _ := md["labels"].(map[string]any)
				if labels["app.kubernetes.io/instance"] != releaseName || labels["app.kubernetes.io/name"] != "hnp-gitops" {
					t.Errorf("%s %s: missing the standard labels: %v", m.Kind, m.Name, labels)
				}
				switch m.Kind {
				case "Deployment":
					strict(t, m, &appsv1.Deployment{})
				case "Service":
					strict(t, m, &corev1.Service{})
				case "ServiceAccount":
					strict(t, m, &corev1.ServiceAccount{})
				case "ConfigMap":
					strict(t, m, &corev1.ConfigMap{})
				case "NetworkPolicy":
					strict(t, m, &networkingv1.NetworkPolicy{})
				case "Ingress":
					strict(t, m, &networkingv1.Ingress{})
				case "Pod":
					strict(t, m, &corev1.Pod{})
				case "PodDisruptionBudget":
					strict(t, m, &policyv1.PodDisruptionBudget{})
				case "Role":
					strict(t, m, &rbacv1.Role{})
				case "RoleBinding":
					strict(t, m, &rbacv1.RoleBinding{})
				}
			}
			slices.Sort(kinds)
			if diff := cmp.Diff(vs.kinds, kinds); diff != "" {
				t.Errorf("rendered kinds (-want +got):\n%s", diff)
			}
		})
	}
}

// deployment renders the chart and returns its Deployment and the one
// container.
func deployment(t *testing.T, args ...string) (*appsv1.Deployment, corev1.Container) {
	t.Helper()
	var d appsv1.Deployment
	strict(t, only(t, render(t, args...), "Deployment", ""), &d)
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("want one container, got %d", len(cs))
	}
	return &d, cs[0]
}

// splitArg splits "--name=value" into its parts.
func splitArg(t *testing.T, arg string) (name, value string) {
	t.Helper()
	if !strings.HasPrefix(arg, "--") {
		t.Fatalf("argument %q is not a --flag=value", arg)
	}
	name, value, ok := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
	if !ok {
		t.Fatalf("argument %q has no =value (a boolean flag must say =true, so the chart's intent is explicit)", arg)
	}
	return name, value
}

func TestDeploymentArgsAreServeFlags(t *testing.T) {
	t.Parallel()
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			t.Parallel()
			_, c := deployment(t, vs.args...)
			if len(c.Command) != 0 {
				t.Errorf("command %q overrides the image's entrypoint", c.Command)
			}
			if len(c.Args) == 0 || c.Args[0] != "serve" {
				t.Fatalf("args %q do not start with serve", c.Args)
			}
			fs := serveFlags(t)
			for _, a := range c.Args[1:] {
				name, _ := splitArg(t, a)
				if fs.Lookup(name) == nil {
					t.Errorf("the chart passes --%s, which `hnp-gitops serve` does not have", name)
				}
			}
			// The real flag set must accept the whole argument list, values
			// included (durations, integers, booleans).
			if err := fs.Parse(c.Args[1:]); err != nil {
				t.Errorf("`hnp-gitops serve` rejects the chart's arguments: %v", err)
			}
		})
	}
}

// chartChosen are the flags whose value the chart decides itself (ports and
// mounted files) rather than passing a setting through.
var chartChosen = map[string]bool{
	"listen": true, "metrics-listen": true, "netbox-url": true,
	"netbox-token-file": true, "github-token-file": true, "webhook-secret-file": true,
}

// TestDefaultArgsMatchServiceDefaults keeps values.yaml honest: a setting it
// spells out by default must equal the service's own default, so installing
// the chart behaves like running the binary.
func TestDefaultArgsMatchServiceDefaults(t *testing.T) {
	t.Parallel()
	_, c := deployment(t)
	for _, a := range c.Args[1:] {
		name, value := splitArg(t, a)
		if chartChosen[name] {
			continue
		}
		fs := serveFlags(t)
		f := fs.Lookup(name)
		if f == nil {
			t.Errorf("--%s is not a flag of serve", name)
			continue
		}
		if err := fs.Set(name, value); err != nil {
			t.Errorf("--%s=%s: %v", name, value, err)
			continue
		}
		if got := f.Value.String(); got != f.DefValue {
			t.Errorf("values.yaml passes --%s=%s (%s) by default; the service's default is %s", name, value, got, f.DefValue)
		}
	}
}

func TestDeploymentWiring(t *testing.T) {
	t.Parallel()
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			t.Parallel()
			d, c := deployment(t, vs.args...)
			ports := map[string]int32{}
			for _, p := range c.Ports {
				ports[p.Name] = p.ContainerPort
			}
			args := map[string]string{}
			for _, a := range c.Args[1:] {
				n, v := splitArg(t, a)
				args[n] = v
			}
			if want := ":" + strconv.Itoa(int(ports["http"])); args["listen"] != want {
				t.Errorf("--listen=%s, want %s (the http port)", args["listen"], want)
			}
			if want := ":" + strconv.Itoa(int(ports["metrics"])); args["metrics-listen"] != want {
				t.Errorf("--metrics-listen=%s, want %s (the metrics port)", args["metrics-listen"], want)
			}
			for _, required := range []string{"netbox-url", "netbox-token-file", "github-token-file", "webhook-secret-file"} {
				if args[required] == "" {
					t.Errorf("--%s is not passed", required)
				}
			}

			// Every --*-file flag names a file that a Secret projects into a
			// mounted directory.
			mounted := map[string]bool{}
			for _, vm := range c.VolumeMounts {
				for _, v := range d.Spec.Template.Spec.Volumes {
					if v.Name != vm.Name || v.Projected == nil {
						continue
					}
					if !vm.ReadOnly {
						t.Errorf("secret volume %s is mounted writable", v.Name)
					}
					// Readable by the owner and the pod's fsGroup, nobody else.
					if m := v.Projected.DefaultMode; m == nil || *m != 0o440 {
						t.Errorf("secret volume %s defaultMode %v, want 0440", v.Name, m)
					}
					for _, src := range v.Projected.Sources {
						if src.Secret == nil || src.Secret.Name == "" {
							t.Errorf("projected source of %s is not a named Secret: %+v", v.Name, src)
							continue
						}
						for _, it := range src.Secret.Items {
							mounted[vm.MountPath+"/"+it.Path] = true
						}
					}
				}
			}
			for n, v := range args {
				if strings.HasSuffix(n, "-file") && !mounted[v] {
					t.Errorf("--%s=%s is not a file projected from a Secret (mounted: %v)", n, v, mounted)
				}
			}

			// Probes on the http port.
			for _, p := range []struct {
				name  string
				probe *corev1.Probe
				path  string
			}{
				{"liveness", c.LivenessProbe, "/healthz"},
				{"readiness", c.ReadinessProbe, "/readyz"},
			} {
				if p.probe == nil || p.probe.HTTPGet == nil {
					t.Errorf("%s probe is not an HTTP GET", p.name)
					continue
				}
				if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
					t.Errorf("%s probe: GET %s on port %s, want %s on http", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path)
				}
			}

			// Shutdown: the kubelet must wait longer than the service's bound.
			bound := config.ShutdownTimeout
			if v, ok := args["shutdown-timeout"]; ok {
				b, err := time.ParseDuration(v)
				if err != nil {
					t.Fatalf("--shutdown-timeout=%s: %v", v, err)
				}
				bound = b
			}
			grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
			if grace == nil || time.Duration(*grace)*time.Second <= bound {
				t.Errorf("terminationGracePeriodSeconds %v is not above the shutdown bound %s", grace, bound)
			}
		})
	}
}

func TestDeploymentHardening(t *testing.T) {
	t.Parallel()
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			t.Parallel()
			d, c := deployment(t, vs.args...)
			pod := d.Spec.Template.Spec
			ps := pod.SecurityContext
			if ps == nil {
				t.Fatal("no pod securityContext")
			}
			sc := c.SecurityContext
			if sc == nil {
				t.Fatal("no container securityContext")
			}
			checks := []struct {
				name string
				ok   bool
			}{
				{"pod runAsNonRoot", ps.RunAsNonRoot != nil && *ps.RunAsNonRoot},
				{"pod runAsUser 65532", ps.RunAsUser != nil && *ps.RunAsUser == 65532},
				{"pod seccomp RuntimeDefault", ps.SeccompProfile != nil && ps.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault},
				{"container runAsNonRoot", sc.RunAsNonRoot != nil && *sc.RunAsNonRoot},
				{"container runAsUser 65532", sc.RunAsUser != nil && *sc.RunAsUser == 65532},
				{"readOnlyRootFilesystem", sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem},
				{"allowPrivilegeEscalation false", sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation},
				{"not privileged", sc.Privileged == nil || !*sc.Privileged},
				{"capabilities drop ALL", sc.Capabilities != nil && slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) && len(sc.Capabilities.Add) == 0},
				{"container seccomp RuntimeDefault", sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault},
				{"service account token only for leader election", pod.AutomountServiceAccountToken != nil && *pod.AutomountServiceAccountToken == vs.leaderElection},
				{"no host namespaces", !pod.HostNetwork && !pod.HostPID && !pod.HostIPC},
				{"memory limit", !c.Resources.Limits.Memory().IsZero()},
				{"cpu and memory requests", !c.Resources.Requests.Cpu().IsZero() && !c.Resources.Requests.Memory().IsZero()},
				{"image pinned", !strings.HasSuffix(c.Image, ":latest") && strings.Contains(c.Image, ":")},
			}
			for _, ch := range checks {
				if !ch.ok {
					t.Errorf("%s: not so", ch.name)
				}
			}
		})
	}
}

func TestHelmValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string   // a substring of helm's error; empty means success
		wantArg []string // arguments the Deployment must carry on success
		noArg   []string // flag names it must not carry
	}{
		{name: "no NetBox URL", args: []string{"--set", "netbox.url="}, wantErr: "netbox.url is required"},
		{name: "no NetBox Secret", args: []string{"--set", "netbox.existingSecret="}, wantErr: "netbox.existingSecret is required"},
		{name: "no webhook Secret", args: []string{"--set", "webhook.existingSecret="}, wantErr: "webhook.existingSecret is required"},
		{name: "no GitHub credentials", args: []string{"--set", "github.existingSecret="}, wantErr: "github.existingSecret, github.tokenMap.existingSecret or github.app.id is required"},
		{name: "misspelt value (schema)", args: []string{"--set", "reconcile.wrkers=3"}, wantErr: "additional properties 'wrkers' not allowed"},
		{name: "unknown log level (schema)", args: []string{"--set", "logLevel=verbose"}, wantErr: "/logLevel"},
		{name: "bad duration (schema)", args: []string{"--set", "reconcile.resyncInterval=5 minutes"}, wantErr: "/reconcile/resyncInterval"},
		{name: "grace period not above the shutdown bound (schema)", args: []string{"--set", "terminationGracePeriodSeconds=20"}, wantErr: "/terminationGracePeriodSeconds"},
		{name: "PDB with both bounds", args: []string{"--set", "podDisruptionBudget.enabled=true", "--set", "podDisruptionBudget.minAvailable=1", "--set", "podDisruptionBudget.maxUnavailable=1"}, wantErr: "not both"},
		{
			name:    "unsigned webhooks, development only",
			args:    []string{"--set", "webhook.existingSecret=", "--set", "webhook.insecureSkipSignature=true"},
			wantArg: []string{"--insecure-skip-signature=true"},
			noArg:   []string{"webhook-secret-file"},
		},
		{
			name:    "token map only",
			args:    []string{"--set", "github.existingSecret=", "--set", "github.tokenMap.existingSecret=gh-map"},
			wantArg: []string{"--github-token-map-file=/var/run/secrets/hnp-gitops/github-token-map"},
			noArg:   []string{"github-token-file"},
		},
		{
			name:    "GitHub App only",
			args:    []string{"--set", "github.existingSecret=", "--set-string", "github.app.id=12345", "--set", "github.app.existingSecret=gh-app"},
			wantArg: []string{"--github-app-id=12345", "--github-app-private-key-file=/var/run/secrets/hnp-gitops/github-app-private-key"},
			noArg:   []string{"github-token-file", "github-token-map-file"},
		},
		{
			name:    "empty settings leave the service default",
			args:    []string{"--set", "reconcile.workers=null", "--set", "reconcile.resyncInterval=", "--set", "logLevel="},
			noArg:   []string{"workers", "resync-interval", "log-level", "api-token-file", "pull-request-branch", "create-missing-branch"},
			wantArg: []string{"serve"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"template", releaseName, chartDir, "--namespace", releaseNS, "--kube-version", kubeVersion}, tt.args...)
			out, stderr, err := runHelm(t, args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(stderr, tt.wantErr) {
					t.Fatalf("want an error containing %q, got %v\n%s", tt.wantErr, err, stderr)
				}
				return
			}
			if err != nil {
				t.Fatalf("helm template: %v\n%s", err, stderr)
			}
			ms, err := parseManifests(out)
			if err != nil {
				t.Fatal(err)
			}
			var d appsv1.Deployment
			strict(t, only(t, ms, "Deployment", ""), &d)
			got := d.Spec.Template.Spec.Containers[0].Args
			for _, w := range tt.wantArg {
				if !slices.Contains(got, w) {
					t.Errorf("args %q lack %q", got, w)
				}
			}
			for _, n := range tt.noArg {
				for _, a := range got {
					if strings.HasPrefix(a, "--"+n+"=") {
						t.Errorf("args carry %q", a)
					}
				}
			}
		})
	}
}

func TestServicesAndServiceMonitor(t *testing.T) {
	t.Parallel()
	ms := render(t, "-f", allValuesFile)
	var web, metrics corev1.Service
	strict(t, only(t, ms, "Service", releaseName), &web)
	strict(t, only(t, ms, "Service", releaseName+"-metrics"), &metrics)
	for _, s := range []struct {
		svc  *corev1.Service
		port int32
		name string
	}{{&web, 8080, "http"}, {&metrics, 9090, "metrics"}} {
		if len(s.svc.Spec.Ports) != 1 || s.svc.Spec.Ports[0].Port != s.port || s.svc.Spec.Ports[0].TargetPort.String() != s.name {
			t.Errorf("Service %s ports %+v, want %d -> %s", s.svc.Name, s.svc.Spec.Ports, s.port, s.name)
		}
	}

	// The ServiceMonitor selects the metrics Service and not the webhook one,
	// and scrapes the metrics port with job="hnp-gitops", which the alerts
	// and the dashboard select.
	sm := only(t, ms, "ServiceMonitor", "").Raw
	spec := sm["spec"].(map[string]any)
	sel := spec["selector"].(map[string]any)["matchLabels"].(map[string]any)
	if !matches(sel, metrics.Labels) {
		t.Errorf("ServiceMonitor selector %v does not match the metrics Service %v", sel, metrics.Labels)
	}
	if matches(sel, web.Labels) {
		t.Errorf("ServiceMonitor selector %v also matches the webhook Service", sel)
	}
	ep := spec["endpoints"].([]any)[0].(map[string]any)
	if ep["port"] != "metrics" || ep["path"] != "/metrics" {
		t.Errorf("ServiceMonitor endpoint %v, want port metrics, path /metrics", ep)
	}
	rl := ep["relabelings"].([]any)[0].(map[string]any)
	if rl["targetLabel"] != "job" || rl["replacement"] != "hnp-gitops" {
		t.Errorf("first relabeling %v does not set job=hnp-gitops", rl)
	}
}

func matches(sel map[string]any, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestNetworkPolicy(t *testing.T) {
	t.Parallel()
	var np networkingv1.NetworkPolicy
	strict(t, only(t, render(t, "-f", allValuesFile), "NetworkPolicy", ""), &np)
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{"Ingress", "Egress"}) {
		t.Errorf("policyTypes %v", np.Spec.PolicyTypes)
	}
	var in []string
	for _, r := range np.Spec.Ingress {
		if len(r.From) == 0 {
			t.Errorf("ingress rule %+v is open to everyone", r)
		}
		for _, p := range r.Ports {
			in = append(in, p.Port.String())
		}
	}
	if diff := cmp.Diff([]string{"http", "metrics"}, in); diff != "" {
		t.Errorf("ingress ports (-want +got):\n%s", diff)
	}
	var out []string
	for _, r := range np.Spec.Egress {
		for _, p := range r.Ports {
			out = append(out, fmt.Sprintf("%s/%s", p.Port.String(), *p.Protocol))
		}
	}
	// values-all enables leader election: the API server's real port too.
	for _, want := range []string{"53/UDP", "53/TCP", "443/TCP", "8080/TCP", "6443/TCP"} {
		if !slices.Contains(out, want) {
			t.Errorf("egress lacks %s: %v", want, out)
		}
	}
	// Without leader election, no rule for the API server.
	var plain networkingv1.NetworkPolicy
	strict(t, only(t, render(t, "-f", allValuesFile, "--set", "leaderElection.enabled=false"), "NetworkPolicy", ""), &plain)
	for _, r := range plain.Spec.Egress {
		for _, p := range r.Ports {
			if p.Port.String() == "6443" {
				t.Errorf("an API-server rule without leader election: %+v", r)
			}
		}
	}
}

func TestDashboardConfigMapAndPrometheusRule(t *testing.T) {
	t.Parallel()
	ms := render(t, "-f", allValuesFile)

	var cm corev1.ConfigMap
	strict(t, only(t, ms, "ConfigMap", ""), &cm)
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap labels %v lack grafana_dashboard: \"1\"", cm.Labels)
	}
	if cm.Namespace != "monitoring" {
		t.Errorf("dashboard namespace %q, want the configured monitoring", cm.Namespace)
	}
	want := bytes.TrimSpace(readFile(t, dashboardFile))
	if got := []byte(cm.Data["hnp-gitops.json"]); !bytes.Equal(bytes.TrimSpace(got), want) {
		t.Errorf("dashboard ConfigMap differs from %s", dashboardFile)
	}

	// The PrometheusRule carries the rule file's groups, then the extra ones.
	var file struct {
		Groups []any `yaml:"groups"`
	}
	if err := yaml.Unmarshal(readFile(t, alertsFile), &file); err != nil {
		t.Fatal(err)
	}
	pr := only(t, ms, "PrometheusRule", "").Raw
	groups := pr["spec"].(map[string]any)["groups"].([]any)
	if len(groups) != len(file.Groups)+1 {
		t.Fatalf("PrometheusRule has %d groups, want %d + 1 additional", len(groups), len(file.Groups))
	}
	if !reflect.DeepEqual(normalize(t, groups[:len(file.Groups)]), normalize(t, file.Groups)) {
		t.Errorf("PrometheusRule groups differ from %s", alertsFile)
	}
}

// normalize round-trips v through JSON so that values decoded by different
// YAML paths compare equal.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLongNamesStayValid: with the longest full name, every object's name,
// suffixed ones included, stays within Kubernetes' 63 characters.
func TestLongNamesStayValid(t *testing.T) {
	t.Parallel()
	for _, m := range render(t, "-f", allValuesFile, "--set", "fullnameOverride="+strings.Repeat("h", 63)) {
		if len(m.Name) > 63 || strings.HasSuffix(m.Name, "-") {
			t.Errorf("%s %q: %d characters", m.Kind, m.Name, len(m.Name))
		}
	}
}
