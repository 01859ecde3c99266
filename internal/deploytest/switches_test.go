package deploytest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/githedgehog/hnp-gitops/internal/cli"
	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// switches are the chart's main switches, each as the --set arguments
// that turn it on.
var switches = []struct {
	name string
	set  []string
}{
	{"leader election", []string{"leaderElection.enabled=true", "replicaCount=2"}},
	{"network policy", []string{"networkPolicy.enabled=true"}},
	{"ingress", []string{"ingress.enabled=true"}},
	{"monitoring", []string{"serviceMonitor.enabled=true", "prometheusRule.enabled=true", "dashboard.enabled=true"}},
	{"GitHub App only", []string{"github.existingSecret=", "github.app.id=Iv1.424242", "github.app.existingSecret=github-app"}},
	{"git over SSH", []string{"git.ssh.existingSecret=git-ssh"}},
}

// Every combination of the main switches lints with --strict (which checks
// values.schema.json) and renders objects that decode strictly into their
// Kubernetes types.
func TestChartSwitchCombinations(t *testing.T) {
	t.Parallel()
	for mask := range 1 << len(switches) {
		var names, args []string
		for i, sw := range switches {
			if mask&(1<<i) != 0 {
				names = append(names, sw.name)
				for _, s := range sw.set {
					args = append(args, "--set", s)
				}
			}
		}
		name := strings.Join(names, "+")
		if name == "" {
			name = "none"
		}
		t.Run(fmt.Sprintf("%02d %s", mask, name), func(t *testing.T) {
			t.Parallel()
			lint := append([]string{"lint", "--strict", chartDir, "--kube-version", kubeVersion}, args...)
			if out, stderr, err := runHelm(t, lint...); err != nil || strings.Contains(out+stderr, "[WARNING]") {
				t.Fatalf("helm lint: %v\n%s%s", err, out, stderr)
			}
			for _, m := range render(t, args...) {
				decodeKind(t, m)
			}
		})
	}
}

// decodeKind decodes a rendered object strictly into its Kubernetes type;
// the Prometheus Operator's kinds, which have no Go types here, only need
// to render.
func decodeKind(t *testing.T, m manifest) {
	t.Helper()
	into := map[string]any{
		"Deployment": &appsv1.Deployment{}, "Service": &corev1.Service{}, "ServiceAccount": &corev1.ServiceAccount{},
		"ConfigMap": &corev1.ConfigMap{}, "NetworkPolicy": &networkingv1.NetworkPolicy{}, "Ingress": &networkingv1.Ingress{}, "Pod": &corev1.Pod{},
		"PodDisruptionBudget": &policyv1.PodDisruptionBudget{}, "Role": &rbacv1.Role{}, "RoleBinding": &rbacv1.RoleBinding{},
	}[m.Kind]
	switch {
	case into != nil:
		strict(t, m, into)
	case m.Kind != "ServiceMonitor" && m.Kind != "PrometheusRule":
		t.Errorf("unexpected kind %s", m.Kind)
	}
}

// SSH credentials arrive as files named by the flags; envFrom reaches the
// container; the Ingress sends only the webhook path to the http port.
func TestGitSSHEnvFromAndIngress(t *testing.T) {
	t.Parallel()
	args := []string{"--set", "git.ssh.existingSecret=git-ssh", "--set", "envFrom[0].configMapRef.name=settings", "--set", "ingress.enabled=true"}
	d, c := deployment(t, args...)
	for _, want := range []string{"--git-ssh-key-file=/var/run/secrets/hnp-gitops/git-ssh-key", "--git-known-hosts-file=/var/run/secrets/hnp-gitops/git-known-hosts"} {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args lack %s: %v", want, c.Args)
		}
	}
	var items []string
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.Secret != nil && src.Secret.Name == "git-ssh" {
				for _, it := range src.Secret.Items {
					items = append(items, it.Key+">"+it.Path)
				}
			}
		}
	}
	if diff := cmp.Diff([]string{"ssh-privatekey>git-ssh-key", "known_hosts>git-known-hosts"}, items); diff != "" {
		t.Errorf("git-ssh Secret items (-want +got):\n%s", diff)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != "settings" {
		t.Errorf("envFrom = %+v", c.EnvFrom)
	}
	var ing networkingv1.Ingress
	strict(t, only(t, render(t, args...), "Ingress", ""), &ing)
	if len(ing.Spec.Rules) != 1 || len(ing.Spec.Rules[0].HTTP.Paths) != 1 {
		t.Fatalf("ingress rules = %+v", ing.Spec.Rules)
	}
	p := ing.Spec.Rules[0].HTTP.Paths[0]
	if p.Path != "/webhooks/netbox" || *p.PathType != networkingv1.PathTypeExact ||
		p.Backend.Service.Name != releaseName || p.Backend.Service.Port.Name != "http" {
		t.Errorf("ingress path = %+v", p)
	}
}

// `helm test` runs doctor with real flags, the service's secrets and, by
// default, the in-cluster Service as the service URL.
func TestHelmTestRunsDoctor(t *testing.T) {
	t.Parallel()
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			t.Parallel()
			var pod corev1.Pod
			m := only(t, render(t, vs.args...), "Pod", "")
			strict(t, m, &pod)
			if pod.Annotations["helm.sh/hook"] != "test" || pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
				t.Errorf("the doctor pod is not a Helm test: %v, restart %s", pod.Annotations, pod.Spec.RestartPolicy)
			}
			c := pod.Spec.Containers[0]
			if len(c.Args) == 0 || c.Args[0] != "doctor" {
				t.Fatalf("args %v do not run doctor", c.Args)
			}
			root := cli.NewRoot(&cli.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }})
			doctor, _, err := root.Find([]string{"doctor"})
			if err != nil || doctor.Name() != "doctor" {
				t.Fatalf("no doctor command: %v", err)
			}
			for _, arg := range c.Args[1:] {
				name, _ := splitArg(t, arg)
				if doctor.Flags().Lookup(name) == nil {
					t.Errorf("the test pod passes --%s, which doctor does not have", name)
				}
			}
			if vs.name == "defaults" && !slices.Contains(c.Args, "--service-url=http://hnp-gitops.netbox.svc:8080") {
				t.Errorf("args %v lack the in-cluster service URL", c.Args)
			}
			if len(pod.Spec.Volumes) == 0 || pod.Spec.Volumes[0].Projected == nil {
				t.Errorf("the test pod does not mount the service's secrets")
			}
		})
	}
	if kinds := render(t, "--set", "tests.enabled=false"); slices.ContainsFunc(kinds, func(m manifest) bool { return m.Kind == "Pod" }) {
		t.Error("tests.enabled=false still renders the test pod")
	}
}
