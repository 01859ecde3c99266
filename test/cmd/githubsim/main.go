// Command githubsim runs the GitHub emulator (package test/githubsim) as a
// process, for soak tests and manual runs against the service:
//
//	githubsim --listen 127.0.0.1:8081 --data-dir /tmp/gh --token secret \
//	    --repo hedgehog/fabrics --error-rate 0.05 --concurrent-writer 3
//
// The API is served at the root (github.com style) and under /api/v3 (GitHub
// Enterprise style). Repositories are created with --repo or at run time
// with POST /_sim/repos; GET /_sim/stats shows the counters and PUT
// /_sim/faults changes the faults. Bare repositories live in
// <data-dir>/<owner>/<name>.git; `git clone` them to see what Argo CD or Flux
// would see. --contract DIR (the module root) holds every exchange to
// GitHub's REST description (test/ghcontract) and prints the count and
// every finding when it stops; findings make it exit 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/githedgehog/hnp-gitops/test/ghcontract"
	"github.com/githedgehog/hnp-gitops/test/githubsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "githubsim:", err)
		os.Exit(1)
	}
}

type repoFlags []string

func (r *repoFlags) String() string     { return strings.Join(*r, ",") }
func (r *repoFlags) Set(v string) error { *r = append(*r, v); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("githubsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o      githubsim.Options
		f      githubsim.Faults
		listen string
		repos  repoFlags
		branch string
		root   string
	)
	fs.StringVar(&listen, "listen", "127.0.0.1:0", "address to listen on")
	fs.StringVar(&o.Dir, "data-dir", "", "directory of the bare repositories (required)")
	fs.StringVar(&o.Token, "token", os.Getenv("GITHUBSIM_TOKEN"), "the valid token (default $GITHUBSIM_TOKEN; empty: no authentication)")
	fs.IntVar(&o.TruncateAbove, "truncate-above", 0, "answer recursive tree listings above this many entries with truncated: true (0: 100000)")
	fs.IntVar(&o.RateLimit, "rate-limit", 0, "primary requests per hour (0: 5000)")
	fs.StringVar(&root, "contract", "", "hold every exchange to GitHub's REST description read from this module root (test/ghcontract); findings make the exit status 1")
	fs.StringVar(&o.WebURL, "web-url", "", "base of html_url values (default https://github.com)")
	fs.Var(&repos, "repo", "create owner/name (suffix :private for a private one); repeatable")
	fs.StringVar(&branch, "default-branch", "main", "default branch of the repositories created with --repo")
	fs.StringVar(&f.Match, "fault-match", "", `inject faults only into requests whose "METHOD /route" contains this`)
	fs.IntVar(&f.LatencyMS, "latency-ms", 0, "added latency per request")
	fs.Float64Var(&f.ErrorRate, "error-rate", 0, "fraction of requests answered 502")
	fs.IntVar(&f.Errors, "errors", 0, "answer the next N requests with 502")
	fs.Float64Var(&f.TimeoutRate, "timeout-rate", 0, "fraction of requests that hang until the client gives up")
	fs.IntVar(&f.Timeouts, "timeouts", 0, "hang the next N requests")
	fs.IntVar(&f.RateLimited, "rate-limited", 0, "answer the next N requests 403 with retry-after")
	fs.IntVar(&f.TooMany, "too-many", 0, "answer the next N requests 429 with retry-after")
	fs.IntVar(&f.RetryAfterSeconds, "retry-after", 1, "retry-after seconds of injected rate limits")
	fs.IntVar(&f.Exhausted, "exhausted", 0, "answer the next N requests 403 with x-ratelimit-remaining: 0")
	fs.IntVar(&f.ResetSeconds, "reset-after", 1, "seconds until x-ratelimit-reset of --exhausted answers")
	fs.IntVar(&f.SecondaryWritesPerMinute, "secondary-writes-per-minute", 0, "secondary rate limit on writes per minute (0: none)")
	fs.IntVar(&f.ConcurrentWriter, "concurrent-writer", 0, "move the branch with another author's commit before the next N ref updates")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Dir == "" {
		return errors.New("--data-dir is required")
	}
	o.Faults = f
	var contract *ghcontract.Contract
	if root != "" {
		c, err := ghcontract.Load(root)
		if err != nil {
			return err
		}
		contract, o.Wrap = c, c.Wrap
	}
	sim, err := githubsim.New(o)
	if err != nil {
		return err
	}
	for _, r := range repos {
		spec, private := strings.CutSuffix(r, ":private")
		ownerName, repoName, ok := strings.Cut(spec, "/")
		if !ok {
			return fmt.Errorf("--repo %q: want owner/name", r)
		}
		if _, err := sim.CreateRepo(ownerName, repoName, private, branch); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if err := sim.Serve(ln); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "githubsim listening on %s (data in %s)\n", sim.URL(), o.Dir)
	<-ctx.Done()
	if err := sim.Close(); err != nil {
		return err
	}
	return report(contract, stderr)
}

// report prints what the contract check saw; findings are an error.
func report(c *ghcontract.Contract, w io.Writer) error {
	if c == nil {
		return nil
	}
	f := c.Findings()
	fmt.Fprintf(w, "githubsim: GitHub contract: %d exchanges validated, %d findings, allowed gaps %v\n", c.Exchanges(), len(f), c.Allowed())
	for _, x := range f {
		fmt.Fprintf(w, "githubsim: GitHub contract: %s\n", x)
	}
	if len(f) > 0 {
		return fmt.Errorf("%d exchanges do not match GitHub's description", len(f))
	}
	return nil
}
