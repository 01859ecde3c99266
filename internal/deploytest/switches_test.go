package deploytest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

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
		"ConfigMap": &corev1.ConfigMap{}, "NetworkPolicy": &networkingv1.NetworkPolicy{}, "Ingress": &networkingv1.Ingress{},
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
