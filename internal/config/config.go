package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// ShutdownTimeout is the default bound on graceful shutdown: after SIGTERM the
// service stops intake, lets in-flight reconciles finish for at most this
// long, then abandons them (the resync picks them up again) and exits 0. The
// Helm chart's terminationGracePeriodSeconds must stay above it.
const ShutdownTimeout = 20 * time.Second

// DrainPeriod is the default time after SIGTERM during which the service
// reports not ready but still accepts and queues webhooks, while Kubernetes
// removes the pod from its Service's endpoints. The chart's
// terminationGracePeriodSeconds must stay above DrainPeriod plus
// ShutdownTimeout.
const DrainPeriod = 5 * time.Second

// Config is every setting of `serve` (and the subset `reconcile` uses).
type Config struct {
	Listen        string
	MetricsListen string

	NetBoxURL           string
	NetBoxToken         Secret
	NetBoxPluginPath    string
	NetBoxFabricsPrefix string
	NetBoxReposPrefix   string
	NetBoxTimeout       time.Duration

	GitHubAPIURL       string
	GitHubToken        Secret
	GitHubTokenMapFile string // lines "host/owner=token" or "host=token"
	GitHubTimeout      time.Duration
	// GitHubEnterpriseHosts use GitHub's API at https://<host>/api/v3/;
	// every other host but github.com is spoken to over the git protocol.
	GitHubEnterpriseHosts []string
	GitSSHKeyFile         string
	GitKnownHostsFile     string
	// GitHub App: installation tokens instead of a personal token.
	GitHubAppID             string
	GitHubAppPrivateKeyFile string
	GitHubAppInstallationID int64
	// CommitIdentitySet is true when an author or committer flag was given:
	// with a GitHub App, commits otherwise carry no explicit identity, so
	// that GitHub marks them Verified.
	CommitIdentitySet bool

	WebhookSecret         Secret
	InsecureSkipSignature bool
	// GitWebhookSecret turns on /webhooks/git (push webhooks of GitHub,
	// GitLab, Gitea/Forgejo) and verifies them; GitWebhookMaxBodyBytes
	// caps their bodies.
	GitWebhookSecret       Secret
	GitWebhookMaxBodyBytes int64
	// CAFile is a PEM bundle of extra certificate authorities trusted,
	// beside the system's, for every outgoing HTTPS connection.
	CAFile   string
	APIToken Secret

	Workers          int
	BatchWindow      time.Duration
	ResyncInterval   time.Duration
	FullResyncEvery  int
	RetryBaseDelay   time.Duration
	RetryMaxDelay    time.Duration
	MaxCommitRetries int

	CommitAuthorName  string
	CommitAuthorEmail string
	CommitterName     string
	CommitterEmail    string
	ArchiveStrategy   string
	// CRDDir is a folder of CustomResourceDefinitions that replaces the
	// built-in Hedgehog schemas ("" = built in).
	CRDDir              string
	PullRequestBranch   string
	CreateMissingBranch bool
	ShutdownTimeout     time.Duration
	DrainPeriod         time.Duration
	// LeaderElection runs the resync on one replica at a time, through a
	// Kubernetes Lease (webhooks and reconciles run on every replica).
	LeaderElection          bool
	LeaderElectionNamespace string
	LeaderElectionLeaseName string
	LogLevel                string
	ServiceURL              string
	// NetBoxRetryMax is the retries of one NetBox request (0: the
	// client's default; negative: none). Not a flag: one-shot commands
	// set it low, so that an unreachable NetBox is reported at once.
	NetBoxRetryMax int
	// GitHubRetryMax is the same for GitHub requests.
	GitHubRetryMax int

	netboxTokenFile   string
	githubTokenFile   string
	webhookSecretFile string
	gitWebhookSecret  string
	apiTokenFile      string
}

// Secret is a string that never prints itself.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// Value returns the secret itself, for the one place that must send it.
func (s Secret) Value() string { return string(s) }

// secretFlag lets a Secret be a pflag value without ever printing it as a
// default.
type secretFlag struct{ s *Secret }

func (f secretFlag) String() string     { return "" }
func (f secretFlag) Set(v string) error { *f.s = Secret(v); return nil }
func (f secretFlag) Type() string       { return "string" }

// RegisterFlags adds every setting to fs with its default.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", ":8080", "address for webhooks, the automation API and health probes")
	fs.StringVar(&c.MetricsListen, "metrics-listen", ":9090", "address for Prometheus metrics (/metrics)")

	fs.StringVar(&c.NetBoxURL, "netbox-url", "", "NetBox base URL, e.g. https://netbox.example.com (required)")
	fs.Var(secretFlag{&c.NetBoxToken}, "netbox-token", "NetBox API token (v1 key, or v2 nbt_<key>.<token>); prefer --netbox-token-file")
	fs.StringVar(&c.netboxTokenFile, "netbox-token-file", "", "file holding the NetBox API token")
	fs.StringVar(&c.NetBoxPluginPath, "netbox-plugin-path", "plugins/hedgehog", "API path of the Hedgehog plugin under /api/")
	fs.StringVar(&c.NetBoxFabricsPrefix, "netbox-fabrics-prefix", "fabrics", "router prefix of the plugin's fabric endpoint")
	fs.StringVar(&c.NetBoxReposPrefix, "netbox-repos-prefix", "git-repos-api", "router prefix of the plugin's git repository endpoint")
	fs.DurationVar(&c.NetBoxTimeout, "netbox-timeout", 30*time.Second, "timeout of one NetBox request")

	c.RegisterGitFlags(fs)

	fs.Var(secretFlag{&c.WebhookSecret}, "webhook-secret", "secret of the NetBox webhook (X-Hook-Signature); prefer --webhook-secret-file")
	fs.StringVar(&c.webhookSecretFile, "webhook-secret-file", "", "file holding the NetBox webhook secret")
	fs.Var(secretFlag{&c.GitWebhookSecret}, "git-webhook-secret", "secret of the git hosts' push webhooks on /webhooks/git (GitHub and Gitea secret, GitLab secret token); prefer --git-webhook-secret-file")
	fs.StringVar(&c.gitWebhookSecret, "git-webhook-secret-file", "", "file holding the git hosts' push webhook secret; setting it turns on /webhooks/git")
	fs.Int64Var(&c.GitWebhookMaxBodyBytes, "git-webhook-max-body-bytes", 25<<20, "largest git host webhook body accepted (GitHub sends up to 25 MB)")
	fs.BoolVar(&c.InsecureSkipSignature, "insecure-skip-signature", false, "accept unsigned webhooks (development only)")
	fs.Var(secretFlag{&c.APIToken}, "api-token", "bearer token for /api/v1 (the API is disabled without one); prefer --api-token-file")
	fs.StringVar(&c.apiTokenFile, "api-token-file", "", "file holding the bearer token for /api/v1")

	fs.IntVar(&c.Workers, "workers", 4, "reconcile workers (at most one per repository and branch at a time)")
	fs.DurationVar(&c.BatchWindow, "batch-window", 250*time.Millisecond, "how long to gather fabrics of one repository into one commit")
	fs.DurationVar(&c.ResyncInterval, "resync-interval", 5*time.Minute, "how often to queue fabrics whose status is not initialized (with jitter)")
	fs.IntVar(&c.FullResyncEvery, "full-resync-every", 6, fmt.Sprintf("every Nth resync queues all fabrics, picking up files dropped into raw/ (default %d with --git-webhook-secret-file: pushes queue their fabrics)", FullResyncEveryWithGitWebhooks))
	fs.DurationVar(&c.RetryBaseDelay, "retry-base-delay", time.Second, "first retry delay of a failed reconcile (doubles up to --retry-max-delay)")
	fs.DurationVar(&c.RetryMaxDelay, "retry-max-delay", 5*time.Minute, "longest retry delay of a failed reconcile")
	fs.IntVar(&c.MaxCommitRetries, "max-commit-retries", 5, "attempts to land a commit when the branch moves meanwhile")

	fs.StringVar(&c.CommitAuthorName, "commit-author-name", "hnp-gitops", "author name of the commits")
	fs.StringVar(&c.CommitAuthorEmail, "commit-author-email", "hnp-gitops@users.noreply.github.com", "author email of the commits")
	fs.StringVar(&c.CommitterName, "committer-name", "", "committer name (default: the author)")
	fs.StringVar(&c.CommitterEmail, "committer-email", "", "committer email (default: the author)")
	fs.StringVar(&c.ArchiveStrategy, "archive-strategy", "delete", "what happens to an ingested source file when the fabric does not say: delete or rename_with_extension")
	fs.StringVar(&c.CRDDir, "crd-dir", "", CRDDirUsage)
	fs.StringVar(&c.PullRequestBranch, "pull-request-branch", "", "commit to this branch and open a pull request instead of pushing to the fabric's branch")
	fs.BoolVar(&c.CreateMissingBranch, "create-missing-branch", false, "create the fabric's branch from the default branch when it does not exist")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", ShutdownTimeout, "bound on graceful shutdown after SIGTERM")
	fs.DurationVar(&c.DrainPeriod, "drain-period", DrainPeriod, "after SIGTERM, how long /readyz fails while webhooks are still accepted and queued, before intake stops (0: none)")
	fs.BoolVar(&c.LeaderElection, "leader-election", false, "run the resync on one replica at a time through a Kubernetes Lease (for more than one replica; needs the in-cluster service account)")
	fs.StringVar(&c.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the Lease (default: the pod's own namespace)")
	fs.StringVar(&c.LeaderElectionLeaseName, "leader-election-lease-name", "hnp-gitops-resync", "name of the Lease")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.ServiceURL, "service-url", "", "URL at which NetBox reaches this service, e.g. http://hnp-gitops.netbox.svc:8080; netbox setup and doctor point the webhook at <URL>/webhooks/netbox")
	fs.StringVar(&c.ServiceURL, "public-url", "", "the former name of --service-url")
	_ = fs.MarkDeprecated("public-url", "use --service-url")
}

// CRDDirUsage is the help of --crd-dir, shared by serve, reconcile and plan.
const CRDDirUsage = "folder of CustomResourceDefinition YAML files whose schemas replace the built-in Hedgehog CRDs (e.g. a newer Hedgehog release's); every managed custom resource is checked against them"

// RegisterGitFlags adds the settings of repository access (GitHub API,
// tokens, Enterprise hosts, SSH for other git hosts). RegisterFlags
// includes them; `plan` against a remote repository uses them alone.
func (c *Config) RegisterGitFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.GitHubAPIURL, "github-api-url", "https://api.github.com/", "GitHub API base URL for github.com repositories (GitHub Enterprise hosts use https://<host>/api/v3/)")
	fs.Var(secretFlag{&c.GitHubToken}, "github-token", "default GitHub token; prefer --github-token-file")
	fs.StringVar(&c.githubTokenFile, "github-token-file", "", "file holding the default GitHub token")
	fs.StringVar(&c.GitHubTokenMapFile, "github-token-map-file", "", "file of per-host or per-owner tokens, one 'host/owner=token' or 'host=token' per line; a key starting with http:// allows that token over plain HTTP")
	fs.DurationVar(&c.GitHubTimeout, "github-timeout", 30*time.Second, "timeout of one GitHub request")
	fs.StringSliceVar(&c.GitHubEnterpriseHosts, "github-enterprise-hosts", nil, "GitHub Enterprise hosts (comma-separated), reached through https://<host>/api/v3/; repositories on any other host but github.com are reached over the git protocol (HTTPS or SSH)")
	fs.StringVar(&c.GitHubAppID, "github-app-id", "", "GitHub App id (or client id): push with the App's installation tokens instead of a personal token (needs --github-app-private-key-file)")
	fs.StringVar(&c.GitHubAppPrivateKeyFile, "github-app-private-key-file", "", "PEM private key of the GitHub App")
	fs.Int64Var(&c.GitHubAppInstallationID, "github-app-installation-id", 0, "the App's installation id (default: looked up per repository)")
	fs.StringVar(&c.GitSSHKeyFile, "git-ssh-key-file", "", "private key for repositories with ssh:// or git@host:owner/repo URLs on hosts that are not GitHub (https and http URLs never use it)")
	fs.StringVar(&c.CAFile, "ca-file", "", "PEM file of extra certificate authorities to trust, beside the system's, for NetBox, GitHub and git over HTTPS (an internal CA)")
	fs.StringVar(&c.GitKnownHostsFile, "git-known-hosts-file", "", "known_hosts file that SSH git hosts are checked against (required with --git-ssh-key-file)")
}

// RequiredError names a missing setting with its flag and environment variable.
type RequiredError struct{ Flag string }

func (e RequiredError) Error() string {
	return fmt.Sprintf("--%s is required (or set HNP_GITOPS_%s)", e.Flag, strings.ToUpper(strings.ReplaceAll(e.Flag, "-", "_")))
}

// FullResyncEveryWithGitWebhooks is --full-resync-every's default when git
// webhooks are on: a push queues its fabrics at once, so the full resync
// only heals deliveries the git host lost (GitHub, GitLab and Gitea do not
// redeliver on their own); every 72nd pass is every six hours at the
// default five-minute passes. The first pass of a run is then full, so
// pushes made while the service was down are not left for six hours.
const FullResyncEveryWithGitWebhooks = 72

// GitWebhookDefaults applies the defaults that change when git webhooks are
// on; changed tells whether the user set a flag (or its variable).
func (c *Config) GitWebhookDefaults(changed func(name string) bool) {
	if c.GitWebhookSecret != "" && !changed("full-resync-every") {
		c.FullResyncEvery = FullResyncEveryWithGitWebhooks
	}
}

// ErrNoWebhookSecret is returned when no webhook secret is set and
// --insecure-skip-signature was not given.
var ErrNoWebhookSecret = errors.New("no webhook secret: set --webhook-secret-file (or HNP_GITOPS_WEBHOOK_SECRET_FILE), or pass --insecure-skip-signature for development")

// LoadSecrets reads the *-file settings. A file's content wins over an
// inline value; trailing whitespace is trimmed.
func (c *Config) LoadSecrets(readFile func(string) ([]byte, error)) error {
	if readFile == nil {
		readFile = os.ReadFile
	}
	for _, s := range []struct {
		flag, file string
		dst        *Secret
	}{
		{"netbox-token-file", c.netboxTokenFile, &c.NetBoxToken},
		{"github-token-file", c.githubTokenFile, &c.GitHubToken},
		{"webhook-secret-file", c.webhookSecretFile, &c.WebhookSecret},
		{"git-webhook-secret-file", c.gitWebhookSecret, &c.GitWebhookSecret},
		{"api-token-file", c.apiTokenFile, &c.APIToken},
	} {
		if s.file == "" {
			continue
		}
		b, err := readFile(s.file)
		if err != nil {
			return fmt.Errorf("--%s: %w", s.flag, err)
		}
		*s.dst = Secret(strings.TrimSpace(string(b)))
	}
	return nil
}

// ValidateCommon checks what every command that talks to NetBox needs.
func (c *Config) ValidateCommon() error { return join(c.commonProblems()) }

func (c *Config) commonProblems() []error {
	var out []error
	if c.NetBoxURL == "" {
		out = append(out, RequiredError{"netbox-url"})
	} else if u, err := url.Parse(c.NetBoxURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		out = append(out, fmt.Errorf("--netbox-url %q is not an http(s) URL", c.NetBoxURL))
	}
	if c.NetBoxToken == "" {
		out = append(out, RequiredError{"netbox-token-file"})
	}
	if c.ArchiveStrategy != "delete" && c.ArchiveStrategy != "rename_with_extension" {
		out = append(out, fmt.Errorf("--archive-strategy %q: want delete or rename_with_extension", c.ArchiveStrategy))
	}
	if (c.GitHubAppID == "") != (c.GitHubAppPrivateKeyFile == "") {
		out = append(out, fmt.Errorf("--github-app-id and --github-app-private-key-file go together (or set HNP_GITOPS_GITHUB_APP_ID and HNP_GITOPS_GITHUB_APP_PRIVATE_KEY_FILE)"))
	}
	if c.GitSSHKeyFile != "" && c.GitKnownHostsFile == "" {
		out = append(out, fmt.Errorf("--git-ssh-key-file needs --git-known-hosts-file (or HNP_GITOPS_GIT_KNOWN_HOSTS_FILE): host keys are always checked"))
	}
	if c.Workers < 1 {
		out = append(out, fmt.Errorf("--workers must be at least 1"))
	}
	return out
}

// ValidateServe checks everything `serve` needs, and reports every problem
// at once.
func (c *Config) ValidateServe() error {
	out := c.commonProblems()
	if c.WebhookSecret == "" && !c.InsecureSkipSignature {
		out = append(out, ErrNoWebhookSecret)
	}
	if c.GitWebhookMaxBodyBytes <= 0 {
		out = append(out, fmt.Errorf("--git-webhook-max-body-bytes must be positive"))
	}
	if c.ResyncInterval <= 0 {
		out = append(out, fmt.Errorf("--resync-interval must be positive"))
	}
	return join(out)
}

// Problems are several settings' errors, reported together; errors.Is and
// errors.As see each.
type Problems []error

func (p Problems) Error() string {
	msgs := make([]string, len(p))
	for i, e := range p {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

func (p Problems) Unwrap() []error { return p }

func join(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return Problems(errs)
}

// Committer returns the committer identity, defaulting to the author.
func (c *Config) Committer() (name, email string) {
	name, email = c.CommitterName, c.CommitterEmail
	if name == "" {
		name = c.CommitAuthorName
	}
	if email == "" {
		email = c.CommitAuthorEmail
	}
	return name, email
}
