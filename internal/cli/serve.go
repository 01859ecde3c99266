package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/githedgehog/hnp-gitops/internal/config"
	"github.com/githedgehog/hnp-gitops/internal/credentials"
	"github.com/githedgehog/hnp-gitops/internal/githubapi"
	"github.com/githedgehog/hnp-gitops/internal/githubapi/githubapp"
	"github.com/githedgehog/hnp-gitops/internal/gitport"
	"github.com/githedgehog/hnp-gitops/internal/gitremote"
	"github.com/githedgehog/hnp-gitops/internal/leader"
	"github.com/githedgehog/hnp-gitops/internal/metrics"
	"github.com/githedgehog/hnp-gitops/internal/netbox"
	"github.com/githedgehog/hnp-gitops/internal/reconcile"
	"github.com/githedgehog/hnp-gitops/internal/server"
	"github.com/githedgehog/hnp-gitops/internal/status"
)

func newServeCmd(env *Env) *cobra.Command {
	var cfg config.Config
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the service: webhook receiver, reconcile workers, resync loop, metrics",
		Long: `serve receives NetBox's fabric webhooks, queues the fabrics, reconciles each
fabric's GitOps directory into one commit per repository and branch, writes
the status back into the fabric's custom fields, and periodically resyncs
every fabric so that webhooks NetBox never delivered are healed.

On SIGTERM /readyz fails at once while webhooks are still accepted and
queued for --drain-period; then intake stops, in-flight reconciles finish
within --shutdown-timeout, and it exits 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.LoadSecrets(nil); err != nil {
				return usageError{err}
			}
			cfg.CommitIdentitySet = commitIdentitySet(cmd)
			cfg.GitWebhookDefaults(cmd.Flags().Changed)
			if err := cfg.ValidateServe(); err != nil {
				return usageError{err}
			}
			return runServe(cmd.Context(), &cfg, env)
		},
	}
	cfg.RegisterFlags(cmd.Flags())
	return cmd
}

// app is the wired service: the adapters, the controller and the handlers.
// serve and reconcile both build one.
type app struct {
	cfg     *config.Config
	log     *slog.Logger
	metrics *metrics.Metrics
	netbox  *netbox.Client
	github  *githubapi.GitHub
	repos   *gitport.Router
	ctrl    *reconcile.Controller
	// kubeConfig finds the Kubernetes API for leader election; default
	// leader.InCluster.
	kubeConfig func() (*leader.Config, error)
}

func newApp(cfg *config.Config, env *Env) (*app, error) {
	tokens, err := loadTokens(cfg)
	if err != nil {
		return nil, err
	}
	secrets := append(tokens.Secrets(), cfg.NetBoxToken.Value(), cfg.WebhookSecret.Value(), cfg.GitWebhookSecret.Value(), cfg.APIToken.Value())
	log, err := newLogger(env.Stderr, cfg.LogLevel, secrets)
	if err != nil {
		return nil, err
	}
	m := metrics.New(metrics.BuildInfo{Version: Version, Revision: Commit})
	base, err := baseTransport(cfg.CAFile)
	if err != nil {
		return nil, err
	}

	nb, err := netbox.New(netboxOptions(cfg, m.NetBoxTransport(base.Clone(), netbox.Route)))
	if err != nil {
		return nil, usageError{err}
	}
	repos, gh, err := newRepositories(cfg, tokens, m, base)
	if err != nil {
		return nil, err
	}
	schemas, err := loadSchemas(cfg.CRDDir)
	if err != nil {
		return nil, err
	}
	log.Info("CRD schemas", "source", schemas.Source(), "kinds", len(schemas.Kinds()))
	ctrl, err := reconcile.New(reconcile.Options{
		NetBox:                 netbox.Fabrics{Client: nb},
		ChangeLog:              netbox.Fabrics{Client: nb},
		Journal:                netbox.Fabrics{Client: nb},
		Repository:             repos,
		Engine:                 reconcile.FGD{Schemas: schemas},
		ParseURL:               gitport.ParseURL,
		Metrics:                m,
		Logger:                 log,
		Workers:                cfg.Workers,
		BatchWindow:            cfg.BatchWindow,
		RetryBase:              cfg.RetryBaseDelay,
		RetryMax:               cfg.RetryMaxDelay,
		DrainTimeout:           cfg.ShutdownTimeout,
		DefaultArchiveStrategy: cfg.ArchiveStrategy,
		CreateMissingBranch:    cfg.CreateMissingBranch,
		PullRequestBranch:      cfg.PullRequestBranch,
		FullResyncAtStart:      cfg.GitWebhookSecret != "",
	})
	if err != nil {
		return nil, err
	}
	m.ObserveQueue(ctrl)
	return &app{cfg: cfg, log: log, metrics: m, netbox: nb, github: gh, repos: repos, ctrl: ctrl}, nil
}

// newRepositories builds the repository port: github.com and the listed
// Enterprise hosts speak GitHub's API, every other host (GitLab, Bitbucket,
// Gitea, plain git) the git protocol. m may be nil.
func newRepositories(cfg *config.Config, tokens *credentials.TokenMap, m *metrics.Metrics, base *http.Transport) (*gitport.Router, *githubapi.GitHub, error) {
	committerName, committerEmail := cfg.Committer()
	author := gitport.Identity{Name: cfg.CommitAuthorName, Email: cfg.CommitAuthorEmail}
	committer := gitport.Identity{Name: committerName, Email: committerEmail}
	ghOpts := githubapi.GitHubOptions{
		APIURL:         cfg.GitHubAPIURL,
		TokenFor:       tokens.GitHubToken,
		Transport:      m.GitHubTransport(base.Clone(), githubapi.Route),
		Author:         author,
		Committer:      committer,
		MaxAttempts:    cfg.MaxCommitRetries,
		RequestTimeout: cfg.GitHubTimeout,
		RetryMax:       cfg.GitHubRetryMax,
	}
	var gh *githubapi.GitHub
	if cfg.GitHubAppID != "" {
		pem, err := os.ReadFile(cfg.GitHubAppPrivateKeyFile)
		if err != nil {
			return nil, nil, usagef("--github-app-private-key-file: %v", err)
		}
		key, err := githubapp.ParsePrivateKey(pem)
		if err != nil {
			return nil, nil, usagef("--github-app-private-key-file: %v", err)
		}
		app := githubapp.New(githubapp.Options{
			AppID: cfg.GitHubAppID, Key: key, InstallationID: cfg.GitHubAppInstallationID,
			APIBase:    func(host string) string { return gh.APIBase(gitport.Repo{Host: host}) },
			HTTPClient: &http.Client{Timeout: cfg.GitHubTimeout, Transport: ghOpts.Transport},
		})
		// A token-map line for a host or owner still wins over the App.
		ghOpts.TokenSource = func(ctx context.Context, r gitport.Repo) (string, error) {
			if t := tokens.Mapped(r); t != "" {
				_, tok, found := strings.Cut(t, ":")
				if found {
					return tok, nil
				}
				return t, nil
			}
			return app.ForRepo(ctx, r)
		}
		// Commits made with an installation token and no explicit identity
		// are signed by GitHub and shown as Verified.
		if !cfg.CommitIdentitySet {
			ghOpts.Author, ghOpts.Committer = gitport.Identity{}, gitport.Identity{}
		}
	}
	gh = githubapi.NewGitHub(ghOpts)
	generic := gitremote.New(gitremote.Options{
		CredentialsFor: func(r gitport.Repo) gitremote.Credentials {
			// The URL's scheme chose the token (none over plain http
			// without an http:// line); the SSH key serves ssh URLs only.
			user, password, plaintext := tokens.BasicAuth(r)
			return gitremote.Credentials{Username: user, Password: password, PlainHTTP: plaintext,
				SSHKeyFile: cfg.GitSSHKeyFile, KnownHostsFile: cfg.GitKnownHostsFile}
		},
		HTTPClient:  &http.Client{Transport: m.GitTransport(base.Clone(), gitRoute)},
		Author:      author,
		Committer:   committer,
		MaxAttempts: cfg.MaxCommitRetries,
	})
	repos := gitport.NewRouter(gh, generic, cfg.GitHubEnterpriseHosts)
	return repos, gh, nil
}

// loadTokens reads the token map file, if any, around the default token.
func loadTokens(cfg *config.Config) (*credentials.TokenMap, error) {
	tokens, err := credentials.Load(cfg.GitHubTokenMapFile, cfg.GitHubToken.Value())
	if err != nil {
		return nil, usagef("--github-token-map-file: %v", err)
	}
	return tokens, nil
}

func runServe(ctx context.Context, cfg *config.Config, env *Env) error {
	a, err := newApp(cfg, env)
	if err != nil {
		return err
	}
	log := a.log
	// Open the listeners first, so that a bad or taken address fails at start.
	httpLn, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	defer httpLn.Close()
	metricsLn, err := net.Listen("tcp", cfg.MetricsListen)
	if err != nil {
		return fmt.Errorf("--metrics-listen: %w", err)
	}
	defer metricsLn.Close()

	ready := &server.Readiness{Probe: a.netbox.Probe, What: "netbox", TTL: 2 * time.Second}
	handler, err := server.New(server.Options{
		WebhookSecret:         []byte(cfg.WebhookSecret.Value()),
		InsecureSkipSignature: cfg.InsecureSkipSignature,
		APIToken:              cfg.APIToken.Value(),
		Queue:                 a.ctrl,
		Self:                  a.ctrl,
		Results:               a.ctrl,
		Ready:                 ready.Check,
		Metrics:               a.metrics,
		Logger:                log,
		GitWebhookSecret:      []byte(cfg.GitWebhookSecret.Value()),
		GitMaxBodyBytes:       cfg.GitWebhookMaxBodyBytes,
		Pushes:                pushQueue{a.ctrl},
		OwnCommit:             reconcile.IsOwnCommit,
	})
	if err != nil {
		return usageError{err}
	}
	if cfg.InsecureSkipSignature {
		log.Warn("webhook signatures are not checked (--insecure-skip-signature): anyone who reaches the listener can queue work")
	}
	log.Info("listening", "http", httpLn.Addr().String(), "metrics", metricsLn.Addr().String(), "version", Version)
	go a.reportNetBox(ctx)

	// On SIGTERM /readyz fails at once, intake goes on for the drain
	// period (while endpoints are removed), then the HTTP servers shut
	// down, the controller drains within the shutdown bound, and we exit 0.
	intake, stopIntake := server.DrainAfter(ctx, cfg.DrainPeriod, ready, log)
	defer stopIntake()
	g, gctx := errgroup.WithContext(intake)
	g.Go(func() error { return server.Serve(gctx, httpLn, handler, cfg.ShutdownTimeout, log) })
	g.Go(func() error {
		mux := http.NewServeMux()
		mux.Handle("/metrics", a.metrics.Handler())
		return server.Serve(gctx, metricsLn, mux, cfg.ShutdownTimeout, log)
	})
	g.Go(func() error { return a.ctrl.Run(gctx) })
	g.Go(func() error { return a.runResync(gctx) })
	err = g.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Error("stopped", "err", err)
		return err
	}
	log.Info("stopped cleanly")
	return nil
}

// runResync runs the resync loop: on every replica, or, with
// --leader-election, only while this replica holds the Lease (webhooks and
// reconciles run on every replica either way).
func (a *app) runResync(ctx context.Context) error {
	cfg := a.cfg
	if !cfg.LeaderElection {
		a.metrics.ResyncLeader(true)
		return a.ctrl.RunResync(ctx, cfg.ResyncInterval, cfg.FullResyncEvery)
	}
	if a.kubeConfig == nil {
		a.kubeConfig = leader.InCluster
	}
	kube, err := a.kubeConfig()
	if err != nil {
		return fmt.Errorf("--leader-election: %w", err)
	}
	el, err := leader.New(leader.Options{
		Config: kube, Namespace: cfg.LeaderElectionNamespace, Name: cfg.LeaderElectionLeaseName, Logger: a.log,
	})
	if err != nil {
		return fmt.Errorf("--leader-election: %w", err)
	}
	a.metrics.ResyncLeader(false)
	el.Run(ctx, func(lctx context.Context) {
		a.log.Info("leading the resync", "lease", cfg.LeaderElectionLeaseName, "identity", el.Identity())
		a.metrics.ResyncLeader(true)
		defer a.metrics.ResyncLeader(false)
		if err := a.ctrl.RunResync(lctx, cfg.ResyncInterval, cfg.FullResyncEvery); err != nil && lctx.Err() == nil {
			a.log.Error("resync stopped", "err", err)
		}
	})
	return nil
}

// reportNetBox logs NetBox's version once at start, and warns when NetBox
// has no RQ worker (then no webhook is ever delivered; only the resync works).
func (a *app) reportNetBox(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := a.netbox.Status(cctx)
	if err != nil {
		a.log.Warn("netbox status not available yet", "err", err)
		return
	}
	a.log.Info("netbox reached", "netbox_version", st.NetBoxVersion, "rq_workers_running", st.RQWorkersRunning)
	if st.RQWorkersRunning == 0 {
		a.log.Warn("netbox reports rq-workers-running 0: no webhook will be delivered; fabrics are picked up only by the resync")
	}
	for _, name := range status.Fields {
		objs, err := a.netbox.ListObjects(cctx, netbox.EndpointCustomFields, url.Values{"name": {name}})
		if err != nil {
			a.log.Warn("could not check netbox's custom fields", "err", err)
			return
		}
		if len(objs) == 0 {
			a.log.Error("netbox has no custom field "+name+": no fabric status can be written and no fabric is reconciled until `hnp-gitops netbox setup` has run", "field", name)
			return
		}
	}
}

// gitRoute labels git-protocol requests for the request metrics by the
// smart-HTTP endpoint, never by repository.
func gitRoute(req *http.Request) string {
	p := req.URL.Path
	switch {
	case strings.HasSuffix(p, "/info/refs"):
		return req.Method + " /{repo}/info/refs?service=" + req.URL.Query().Get("service")
	case strings.HasSuffix(p, "/git-upload-pack"):
		return req.Method + " /{repo}/git-upload-pack"
	case strings.HasSuffix(p, "/git-receive-pack"):
		return req.Method + " /{repo}/git-receive-pack"
	}
	return req.Method + " other"
}

// commitIdentitySet tells whether any commit identity flag was given (on the
// command line or through its environment variable).
func commitIdentitySet(cmd *cobra.Command) bool {
	for _, name := range []string{"commit-author-name", "commit-author-email", "committer-name", "committer-email"} {
		if cmd.Flags().Changed(name) {
			return true
		}
	}
	return false
}

// pushQueue hands the server's git pushes to the controller.
type pushQueue struct{ c *reconcile.Controller }

func (q pushQueue) EnqueuePush(p server.GitPush) {
	q.c.EnqueuePush(reconcile.Push{URLs: p.URLs, Branch: p.Branch, Paths: p.Paths, Complete: p.Complete, Reason: p.Reason})
}
