// Command netboxsim runs the NetBox emulator of test/netboxsim as a
// standalone process, for `make demo` and manual runs. It prints its base
// URL on the first line of stdout and serves until interrupted. The Go
// helpers are available over HTTP under /_sim/ (see docs/emulators.md).
//
// Every flag can also be set by an environment variable: --token is
// NETBOXSIM_TOKEN.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "netboxsim: %v\n", err)
		os.Exit(2)
	}
}

// envPrefix is the prefix of the environment variable that fills a flag.
const envPrefix = "NETBOXSIM_"

type config struct {
	opts          netboxsim.Options
	errorRate     float64
	errorCode     int
	timeout       float64
	routes        string
	afterApply    bool
	setup         bool
	logDeliveries bool
	webhookURL    string
	secret        string
	repoURL       string
	fabrics       int
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("netboxsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.opts.Listen, "listen", "127.0.0.1:8000", "address to listen on (port 0 picks one)")
	fs.StringVar(&c.opts.Version, "version", netboxsim.DefaultVersion, "NetBox version to emulate (4.0 ... 4.7): webhook body form, event-rule fields, status")
	fs.StringVar(&c.opts.Token, "token", "", "API token clients must send as \"Token <t>\" or \"Bearer <t>\" (required)")
	fs.StringVar(&c.opts.Username, "username", "admin", "user the token belongs to (webhook username / request.user)")
	fs.IntVar(&c.opts.RQWorkers, "rq-workers", 1, "webhook delivery workers, reported as rq-workers-running (negative: none)")
	fs.BoolVar(&c.opts.NestedForeignKeys, "nested-fks", false, "serialize a fabric's git_repository as a nested object instead of an id")
	fs.BoolVar(&c.opts.PlainSelectValues, "plain-select", false, "read select custom fields back as plain values instead of {value, label}")
	fs.StringVar(&c.opts.FabricsPrefix, "fabrics-prefix", "fabrics", "router prefix of fabrics under /api/plugins/hedgehog/")
	fs.StringVar(&c.opts.ReposPrefix, "repos-prefix", "git-repos-api", "router prefix of git repositories under /api/plugins/hedgehog/")
	fs.Int64Var(&c.opts.Faults.Seed, "seed", 1, "seed of the fault decisions")
	fs.DurationVar(&c.opts.Faults.Latency, "latency", 0, "latency added to every API request")
	fs.Float64Var(&c.errorRate, "error-rate", 0, "probability of an error answer on the --fault-routes")
	fs.IntVar(&c.errorCode, "error-status", 500, "status of injected errors (500 has NetBox's error body; 502/503/504 look like a proxy)")
	fs.Float64Var(&c.timeout, "timeout-rate", 0, "probability that a request on the --fault-routes hangs")
	fs.BoolVar(&c.afterApply, "fault-after-apply", false, "errors and hangs on the --fault-routes come after the request took effect")
	fs.DurationVar(&c.opts.Faults.HangMax, "hang-max", 30*time.Second, "how long a hanging request waits before answering 504")
	fs.StringVar(&c.routes, "fault-routes", "fabric-get,fabric-write,fabric-list", fmt.Sprintf("comma-separated routes the error and timeout rates apply to, of %v", netboxsim.Routes))
	fs.Float64Var(&c.opts.Faults.DropWebhookRate, "drop-webhook-rate", 0, "probability that a webhook delivery is dropped")
	fs.DurationVar(&c.opts.Faults.DeliveryLatency, "delivery-latency", 0, "delay before each webhook delivery (a busy RQ worker)")
	fs.BoolVar(&c.logDeliveries, "log-deliveries", true, "print one line per webhook delivery on stderr")
	fs.BoolVar(&c.setup, "setup", false, "define the hnp-gitops status custom fields at start (as hnp-gitops netbox setup does)")
	fs.StringVar(&c.webhookURL, "webhook-url", "", "define a webhook to this URL and an event rule for fabric created/updated at start")
	fs.StringVar(&c.secret, "webhook-secret", "", "secret of the --webhook-url webhook")
	fs.StringVar(&c.repoURL, "repo-url", "", "create a git repository with this URL at start")
	fs.IntVar(&c.fabrics, "fabrics", 0, "create this many fabrics on the --repo-url repository at start (fires webhooks)")
	fs.VisitAll(func(f *flag.Flag) { f.Usage += " [$" + envName(f.Name) + "]" })
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || set[f.Name] {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("invalid %s: %w", envName(f.Name), serr)
			}
		}
	})
	if err != nil {
		return c, err
	}
	if c.opts.Token == "" {
		return c, errors.New("--token (or " + envName("token") + ") is required")
	}
	if c.fabrics > 0 && c.repoURL == "" {
		return c, errors.New("--fabrics needs --repo-url")
	}
	if c.errorRate > 0 || c.timeout > 0 {
		c.opts.Faults.Routes = map[netboxsim.Route]netboxsim.RouteFault{}
		for _, r := range strings.Split(c.routes, ",") {
			r = strings.TrimSpace(r)
			if !validRoute(netboxsim.Route(r)) {
				return c, fmt.Errorf("--fault-routes: unknown route %q (want one of %v)", r, netboxsim.Routes)
			}
			c.opts.Faults.Routes[netboxsim.Route(r)] = netboxsim.RouteFault{ErrorRate: c.errorRate, ErrorStatus: c.errorCode, TimeoutRate: c.timeout, AfterApply: c.afterApply}
		}
	}
	return c, nil
}

func validRoute(r netboxsim.Route) bool {
	for _, k := range netboxsim.Routes {
		if k == r {
			return true
		}
	}
	return false
}

func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// run starts the emulator, seeds it as the flags ask, prints the URL and
// serves until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	if c.logDeliveries {
		c.opts.OnDelivery = func(d netboxsim.Delivery) { fmt.Fprintln(stderr, describe(d)) }
	}
	s, err := netboxsim.Start(c.opts)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := seed(s, c); err != nil {
		return err
	}
	fmt.Fprintln(stdout, s.URL())
	fmt.Fprintf(stderr, "netboxsim: NetBox %s on %s (admin API under /_sim/)\n", s.Version(), s.URL())
	<-ctx.Done()
	return s.Close()
}

func seed(s *netboxsim.Server, c config) error {
	if c.setup {
		if err := s.SetupStatusFields(); err != nil {
			return err
		}
	}
	if c.webhookURL != "" {
		if _, _, err := s.AddWebhook(c.webhookURL, c.secret); err != nil {
			return err
		}
	}
	if c.repoURL == "" {
		return nil
	}
	repo, err := s.CreateRepository(netboxsim.Repository{Name: "repo-1", URL: c.repoURL, ValidateSSL: true})
	if err != nil {
		return err
	}
	for i := range c.fabrics {
		name := fmt.Sprintf("fabric-%d", i+1)
		if _, err := s.CreateFabric(netboxsim.Fabric{Name: name, GitRepository: repo.ID, GitOpsDirectory: "gitops/hedgehog/" + name + "/"}); err != nil {
			return err
		}
	}
	return nil
}

// describe is the one-line log of a delivery.
func describe(d netboxsim.Delivery) string {
	result := fmt.Sprintf("%d", d.StatusCode)
	switch {
	case d.Dropped:
		result = "dropped (fault)"
	case d.Err != "":
		result = "failed: " + d.Err
	}
	return fmt.Sprintf("netboxsim: webhook %s %s #%d (request %s) -> %s %s: %s",
		d.Event, d.ObjectType, d.ObjectID, d.RequestID, d.Method, d.URL, result)
}
