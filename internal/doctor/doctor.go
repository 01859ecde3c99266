// Package doctor checks, by reading only, that NetBox, the Hedgehog plugin
// and the service's objects in NetBox are as hnp-gitops needs them: the
// first command an operator runs (`hnp-gitops doctor`), modelled on
// `flux check`. A condition it cannot see without writing is reported as
// not checked, never as passed.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/netbox"
	"github.com/githedgehog/hnp-gitops/internal/netboxsetup"
	"github.com/githedgehog/hnp-gitops/internal/redact"
)

// The results of a check.
const (
	OK         = "ok"
	Fail       = "FAIL"
	NotChecked = "not checked"
)

// Check is one line of the doctor's report.
type Check struct {
	Name   string
	Result string
	Detail string // what was seen; for a failure, also what to do
}

// NetBox is what the doctor reads; *netbox.Client satisfies it. The
// doctor never writes: setup's dry run is given a NetBox whose writes fail.
type NetBox interface {
	netboxsetup.NetBox
	ListFabrics(ctx context.Context, filter url.Values) ([]netbox.Fabric, error)
	GetGitRepository(ctx context.Context, id int64) (*netbox.GitRepository, error)
	ProbeChangeLog(ctx context.Context) error
	ProbeJournal(ctx context.Context) error
}

// Options say what the doctor compares NetBox's objects with; without a
// service URL and webhook secret the setup check is not checked.
type Options struct {
	ServiceURL    string
	WebhookSecret string
	// Repos reads what the fabrics' repositories grant the service's git
	// credentials; nil: push rights are not checked.
	Repos gitport.AccessChecker
	Now   func() time.Time // default time.Now
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// maxClockSkew is how far this clock may be from NetBox's: GitHub refuses
// an App's JWT dated too far off, and the catch-up compares NetBox's
// change times with the sync times the service wrote.
const maxClockSkew = 30 * time.Second

// Run runs every check, in order; a check whose ground is missing (NetBox
// unreachable) is not checked.
func Run(ctx context.Context, nb NetBox, o Options) []Check {
	var out []Check
	st, err := nb.Status(ctx)
	if err != nil {
		out = append(out, Check{"netbox reachable", Fail, explain(err)})
		for _, name := range []string{"netbox version", "clock", "rq worker", "hedgehog plugin", "token reads fabrics", "change log readable", "journal readable", "netbox setup", "git repositories readable", "push rights"} {
			out = append(out, Check{name, NotChecked, "NetBox did not answer"})
		}
		return append(out, blankCheck())
	}
	out = append(out, Check{"netbox reachable", OK, "NetBox " + st.NetBoxVersion}, versionCheck(st), clockCheck(st, o.now()), workerCheck(st), pluginCheck(st))
	fabrics, err := nb.ListFabrics(ctx, nil)
	if err != nil {
		out = append(out, Check{"token reads fabrics", Fail, explain(err)})
	} else {
		out = append(out, Check{"token reads fabrics", OK, fmt.Sprintf("%d fabrics", len(fabrics))})
	}
	out = append(out, changeLogCheck(ctx, nb), journalCheck(ctx, nb))
	out = append(out, setupCheck(ctx, nb, o))
	if err != nil {
		out = append(out, Check{"git repositories readable", NotChecked, "the fabrics could not be read"},
			Check{"push rights", NotChecked, "the fabrics could not be read"})
	} else {
		check, urls := repoCheck(ctx, nb, fabrics)
		out = append(out, check, pushCheck(ctx, o.Repos, urls))
	}
	return append(out, blankCheck())
}

// Failed reports whether any check failed.
func Failed(checks []Check) bool {
	return slices.ContainsFunc(checks, func(c Check) bool { return c.Result == Fail })
}

// String is the report: one line a check.
func String(checks []Check) string {
	var b strings.Builder
	for _, c := range checks {
		fmt.Fprintf(&b, "%-11s %-26s %s\n", c.Result, c.Name, c.Detail)
	}
	return b.String()
}

func versionCheck(st *netbox.Status) Check {
	major, minor, ok := st.Version()
	switch {
	case !ok:
		return Check{"netbox version", Fail, fmt.Sprintf("cannot read NetBox's version %q", st.NetBoxVersion)}
	case major != 4 || minor > 7:
		return Check{"netbox version", Fail, fmt.Sprintf("NetBox %s is not supported (4.0 to 4.7; tested for real: 4.3.7)", st.NetBoxVersion)}
	}
	return Check{"netbox version", OK, fmt.Sprintf("%d.%d is supported", major, minor)}
}

func workerCheck(st *netbox.Status) Check {
	if st.RQWorkersRunning < 1 {
		return Check{"rq worker", Fail, "rq-workers-running is 0: NetBox sends no webhook; start `manage.py rqworker` (fabrics are still found by the resync)"}
	}
	return Check{"rq worker", OK, fmt.Sprintf("%d running", st.RQWorkersRunning)}
}

func pluginCheck(st *netbox.Status) Check {
	for name, v := range st.Plugins {
		if strings.Contains(strings.ToLower(name), "hedgehog") {
			return Check{"hedgehog plugin", OK, fmt.Sprintf("%s %v", name, v)}
		}
	}
	return Check{"hedgehog plugin", Fail, "netbox_hedgehog is not in /api/status/ plugins: install HNP and add it to PLUGINS"}
}

// setupCheck is `netbox setup --dry-run`: anything it would create or
// change is a failure.
func setupCheck(ctx context.Context, nb NetBox, o Options) Check {
	if o.ServiceURL == "" || o.WebhookSecret == "" {
		return Check{"netbox setup", NotChecked, "give --service-url and the webhook secret to compare the webhook"}
	}
	rep, err := netboxsetup.Run(ctx, readOnly{nb}, netboxsetup.Options{ServiceURL: o.ServiceURL, WebhookSecret: o.WebhookSecret, DryRun: true})
	switch {
	case errors.Is(err, netbox.ErrAuth):
		// The service's own token needs no view on extras objects.
		return Check{"netbox setup", NotChecked, "the token cannot read NetBox's custom fields, webhooks and event rules (" +
			err.Error() + "); run doctor with the token netbox setup uses to check them"}
	case err != nil && !errors.Is(err, netboxsetup.ErrConflict):
		return Check{"netbox setup", Fail, explain(err)}
	}
	var off []string
	for _, it := range rep.Items {
		if it.Action != netboxsetup.Unchanged {
			off = append(off, fmt.Sprintf("%s %s %s", it.Kind, it.Name, it.Action))
		}
	}
	if len(off) > 0 {
		return Check{"netbox setup", Fail, strings.Join(off, "; ") + ": run `hnp-gitops netbox setup`"}
	}
	return Check{"netbox setup", OK, "custom fields, webhook (to " + o.ServiceURL + "), event rule and link in place"}
}

// repoCheck reads each fabric's repository as the service does (HNP shows
// a repository only to its creator and superusers), and returns the URLs
// of those it read.
func repoCheck(ctx context.Context, nb NetBox, fabrics []netbox.Fabric) (Check, []string) {
	seen := map[int64]bool{}
	var bad, urls []string
	for _, f := range fabrics {
		id := f.GitRepositoryID
		if id == 0 || seen[id] {
			continue
		}
		seen[id] = true
		r, err := nb.GetGitRepository(ctx, id)
		if err != nil {
			hint := explain(err)
			if errors.Is(err, netbox.ErrNotFound) {
				hint = "not visible to the token: HNP shows a repository only to its creator and superusers (docs/install.md#hnp-prerequisites)"
			}
			bad = append(bad, fmt.Sprintf("repository %d (fabric %s): %s", id, f.Name, hint))
			continue
		}
		urls = append(urls, r.URL)
	}
	if len(bad) > 0 {
		return Check{"git repositories readable", Fail, strings.Join(bad, "; ")}, urls
	}
	return Check{"git repositories readable", OK, fmt.Sprintf("%d of the fabrics' repositories", len(seen))}, urls
}

// pushCheck asks each repository's host what it grants the service's git
// credentials, without writing: GitHub names a token's push permission, a
// git server offers receive-pack or refuses it.
func pushCheck(ctx context.Context, repos gitport.AccessChecker, urls []string) Check {
	if repos == nil {
		return Check{"push rights", NotChecked, "give the service's git credentials (--github-token-file, --github-token-map-file or --github-app-id) to check them"}
	}
	var bad, unknown []string
	for _, raw := range urls {
		repo, err := gitport.ParseURL(raw)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", redact.URL(raw), err))
			continue
		}
		acc, err := repos.CheckAccess(ctx, repo)
		switch {
		case err != nil:
			bad = append(bad, err.Error())
		case !acc.Known:
			unknown = append(unknown, repo.String()+": "+acc.Detail)
		case !acc.Push:
			bad = append(bad, repo.String()+": "+acc.Detail)
		}
	}
	switch {
	case len(bad) > 0:
		return Check{"push rights", Fail, strings.Join(bad, "; ")}
	case len(unknown) > 0:
		return Check{"push rights", NotChecked, strings.Join(unknown, "; ")}
	}
	return Check{"push rights", OK, fmt.Sprintf("%d repositories accept pushes from the service's credentials", len(urls))}
}

// changeLogCheck: the catch-up after a start reads NetBox's change log.
func changeLogCheck(ctx context.Context, nb NetBox) Check {
	if err := nb.ProbeChangeLog(ctx); err != nil {
		hint := explain(err)
		if errors.Is(err, netbox.ErrAuth) {
			hint = err.Error() + ": give the token view on object changes (core.objectchange), or changes made while the service was down wait for the full resync (docs/credentials.md)"
		}
		return Check{"change log readable", Fail, hint}
	}
	return Check{"change log readable", OK, "the catch-up after a restart can run"}
}

// journalCheck: each reconcile that changes something or fails writes an
// entry on the fabric's journal, after reading its newest entries.
func journalCheck(ctx context.Context, nb NetBox) Check {
	if err := nb.ProbeJournal(ctx); err != nil {
		hint := explain(err)
		if errors.Is(err, netbox.ErrAuth) {
			hint = err.Error() + ": give the token view and add on journal entries (extras.journalentry), or the fabrics get no history on their Journal tab (docs/credentials.md)"
		}
		return Check{"journal readable", Fail, hint}
	}
	return Check{"journal readable", OK, "the token reads journal entries (adding one is not checked: the doctor never writes)"}
}

// clockCheck compares this clock with the Date of NetBox's answer.
func clockCheck(st *netbox.Status, now time.Time) Check {
	if st.Date.IsZero() {
		return Check{"clock", NotChecked, "NetBox's answer had no Date header"}
	}
	skew := now.Sub(st.Date)
	if skew.Abs() > maxClockSkew+time.Second { // Date has whole seconds
		return Check{"clock", Fail, fmt.Sprintf("this clock is %s off NetBox's (more than %s): synchronise both with NTP; GitHub refuses App tokens dated off, and the catch-up after a restart compares NetBox's change times with the service's", skew.Round(time.Second), maxClockSkew)}
	}
	return Check{"clock", OK, fmt.Sprintf("within %s of NetBox's", max(skew.Abs().Round(time.Second), time.Second))}
}

// blankCheck is HNP's blank=True prerequisite, which only a write shows.
func blankCheck() Check {
	return Check{"hnp blank=True", NotChecked, "only a write shows it; serve reports a refused status write (status_write_error, HnpGitopsStatusWritesRefused); see docs/install.md#hnp-prerequisites"}
}

// explain is an error's text with what to do for the usual causes.
func explain(err error) string {
	switch {
	case errors.Is(err, netbox.ErrAuth):
		return err.Error() + ": the token is wrong, revoked or lacks a permission (docs/credentials.md)"
	case errors.Is(err, netbox.ErrNotFound):
		return err.Error() + ": check --netbox-url and the plugin path"
	}
	return err.Error() + ": check --netbox-url, the network and NetBox itself"
}

// readOnly refuses every write, so that setup's dry run cannot write.
type readOnly struct{ NetBox }

var errReadOnly = errors.New("doctor: refusing to write to NetBox")

func (readOnly) CreateObject(context.Context, string, map[string]any) (netbox.Object, error) {
	return nil, errReadOnly
}

func (readOnly) UpdateObject(context.Context, string, int64, map[string]any) (netbox.Object, error) {
	return nil, errReadOnly
}
