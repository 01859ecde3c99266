//go:build realnetbox

package realnetbox

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/githedgehog/hnp-gitops/test/testkit"
)

var record = flag.Bool("realnetbox.record", false, "write the webhook deliveries the real worker sends to testdata/real-netbox/webhooks")

// realEnv reads what `scripts/real-netbox.sh env` exports, failing with the
// command to run when it is missing.
func realEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: the real NetBox is not up. Run `make test-real` (or `scripts/real-netbox.sh up && eval \"$(scripts/real-netbox.sh env)\"`)", name)
	}
	return v
}

// variants are the HNP variants the stack runs, from the environment.
func variants(t *testing.T) []string {
	return strings.Fields(realEnv(t, "HNP_REAL_NETBOX_VARIANTS"))
}

func variantURL(t *testing.T, v string) string {
	return realEnv(t, "HNP_REAL_NETBOX_"+strings.ToUpper(v)+"_URL")
}

// manage runs NetBox's manage.py of a variant: through the stack's script,
// or through HNP_REAL_NETBOX_<VARIANT>_MANAGE (a command line, e.g.
// "docker exec -i netbox /opt/netbox/netbox/manage.py") for your own NetBox.
func manage(t *testing.T, variant string, args ...string) string {
	t.Helper()
	argv := []string{filepath.Join(testkit.ModuleRoot(t), "scripts", "real-netbox.sh"), "manage", variant}
	if own := os.Getenv("HNP_REAL_NETBOX_" + strings.ToUpper(variant) + "_MANAGE"); own != "" {
		argv = strings.Fields(own)
	}
	cmd := exec.Command(argv[0], append(argv[1:], args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("manage.py %s (%s): %v\n%s", strings.Join(args, " "), variant, err, tail(string(out), 30))
	}
	return string(out)
}

// orm runs Python in NetBox's shell and returns the value it prints on a
// line starting with "RESULT ". HNP's signals print stack traces; they are
// left out.
func orm(t *testing.T, variant, code string) string {
	t.Helper()
	out := manage(t, variant, "shell", "--no-imports", "-c", code)
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "RESULT "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no RESULT from the NetBox shell (%s):\n%s", variant, tail(out, 30))
	return ""
}

func ormID(t *testing.T, variant, code string) int64 {
	t.Helper()
	v := orm(t, variant, code)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("NetBox shell printed %q, want an id", v)
	}
	return id
}

// ormRepo makes a GitRepository with the ORM, created by user, and
// returns its id.
func ormRepo(t *testing.T, variant, user, name, gitURL string) int64 {
	t.Helper()
	return ormID(t, variant, fmt.Sprintf(`
from django.contrib.auth import get_user_model
from netbox_hedgehog.models import GitRepository
u = get_user_model().objects.get(username=%s)
r = GitRepository(name=%s, url=%s, provider="github", authentication_type="token", default_branch="main", created_by=u)
r.save()
print("RESULT", r.pk)`, pyStr(user), pyStr(name), pyStr(gitURL)))
}

// pyStr quotes s for Python.
func pyStr(s string) string { return strconv.Quote(s) }

// realTarget is one variant of the real stack.
func realTarget(t *testing.T, variant string, rec func(*testing.T, delivery)) target {
	serviceToken := realEnv(t, "HNP_REAL_NETBOX_SERVICE_TOKEN")
	return target{
		name: variant, url: variantURL(t, variant),
		adminToken:   realEnv(t, "HNP_REAL_NETBOX_ADMIN_TOKEN"),
		serviceToken: serviceToken,
		stockHNP:     variant == "stock",
		// HNP's repository POST never answers (hypothesis 4) and it has no
		// UI add view: the ORM, owned by the service's user (hypothesis 5).
		createRepo: func(t *testing.T, name, gitURL string) int64 {
			return ormRepo(t, variant, "hnp-gitops", name, gitURL)
		},
		createForeignRepo: func(t *testing.T, name, gitURL string) int64 {
			return ormRepo(t, variant, "admin", name, gitURL)
		},
		createFabricDirect: func(t *testing.T, name string, repoID int64, dir string) int64 {
			return ormID(t, variant, fmt.Sprintf(`
from netbox_hedgehog.models import HedgehogFabric
f = HedgehogFabric(name=%s, git_repository_id=%d, gitops_directory=%s, kubernetes_token=%s)
f.save()
print("RESULT", f.pk)`, pyStr(name), repoID, pyStr(dir), pyStr(fakeK8sToken)))
		},
		revokeServiceToken: func(t *testing.T) func() {
			orm(t, variant, fmt.Sprintf(`
from users.models import Token
print("RESULT", Token.objects.filter(key=%s).delete()[0])`, pyStr(serviceToken)))
			return func() {
				orm(t, variant, fmt.Sprintf(`
from django.contrib.auth import get_user_model
from users.models import Token
u = get_user_model().objects.get(username="hnp-gitops")
Token.objects.get_or_create(user=u, key=%s, defaults={"write_enabled": True})
print("RESULT ok")`, pyStr(serviceToken)))
			}
		},
		record: rec,
	}
}

// clearObjects deletes the fabrics and repositories earlier runs left, so
// that the resync of this run's service does not reconcile them against a
// GitHub emulator that is gone.
func clearObjects(t *testing.T, variant string) {
	orm(t, variant, `
from netbox_hedgehog.models import GitRepository, HedgehogFabric
HedgehogFabric.objects.all().delete()
GitRepository.objects.all().delete()
print("RESULT ok")`)
}

// TestSharedReal runs the shared cases against each variant of the real
// NetBox 4.3.7 with HNP 705549aa: the patched one first, so that the stock
// one (which sends no webhook at all) can replay its recorded deliveries.
func TestSharedReal(t *testing.T) {
	vs := variants(t)
	slicesSortPatchedFirst(vs)
	rec := newRecorder(t)
	for _, v := range vs {
		t.Run(v, func(t *testing.T) {
			clearObjects(t, v)
			runShared(t, realTarget(t, v, rec.add))
		})
	}
}

func slicesSortPatchedFirst(vs []string) {
	for i, v := range vs {
		if v == "patched" {
			vs[0], vs[i] = vs[i], vs[0]
		}
	}
}

// recorder writes deliveries to testdata when -realnetbox.record is set.
type recorder struct {
	mu sync.Mutex
	n  int
}

func newRecorder(t *testing.T) *recorder {
	if *record {
		if err := os.RemoveAll(recordedDir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(recordedDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &recorder{}
}

func (r *recorder) add(t *testing.T, d delivery) {
	if !*record {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	base := filepath.Join(recordedDir, fmt.Sprintf("%02d-%s-%s", r.n, d.Model, d.Event))
	hdr, err := jsonIndent(d)
	if err == nil {
		err = os.WriteFile(base+".json", hdr, 0o644)
	}
	if err == nil {
		err = os.WriteFile(base+".body", d.Body, 0o644)
	}
	if err != nil {
		t.Errorf("record delivery: %v", err)
	}
}

// TestLatencyReal measures save -> commit on the real NetBox with the
// patched HNP (the stock one refuses API creates), through its real RQ
// worker's webhook.
func TestLatencyReal(t *testing.T) {
	if *latencyFabrics < 1 {
		t.Fatalf("-realnetbox.latency=%d: want at least 1", *latencyFabrics)
	}
	clearObjects(t, "patched")
	s := startSuite(t, realTarget(t, "patched", nil))
	s.setup(t)
	s.measureSaveToCommit(t, *latencyFabrics)
}
