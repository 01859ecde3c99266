package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func parse(t *testing.T, args ...string) *Config {
	t.Helper()
	var c Config
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &c
}

func TestValidateServe(t *testing.T) {
	t.Parallel()
	base := []string{"--netbox-url=https://netbox.example.com", "--netbox-token=nbtok", "--webhook-secret=s"}
	for _, tc := range []struct {
		name string
		args []string
		want string // substring of the error; "" for none
	}{
		{"ok", base, ""},
		{"missing netbox url names flag and env", []string{"--netbox-token=x", "--webhook-secret=s"}, "--netbox-url is required (or set HNP_GITOPS_NETBOX_URL)"},
		{"missing token", []string{"--netbox-url=https://n", "--webhook-secret=s"}, "--netbox-token-file is required (or set HNP_GITOPS_NETBOX_TOKEN_FILE)"},
		{"bad url", []string{"--netbox-url=netbox:8000", "--netbox-token=x", "--webhook-secret=s"}, "is not an http(s) URL"},
		{"no secret refused", base[:2], "no webhook secret"},
		{"insecure allowed", append(base[:2:2], "--insecure-skip-signature"), ""},
		{"archive strategy", append(base, "--archive-strategy=backup_with_timestamp"), "want delete or rename_with_extension"},
		{"workers", append(base, "--workers=0"), "--workers must be at least 1"},
		{"ssh key needs known hosts", append(base, "--git-ssh-key-file=/k"), "--git-known-hosts-file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := parse(t, tc.args...).ValidateServe()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if err := parse(t, base[:2]...).ValidateServe(); !errors.Is(err, ErrNoWebhookSecret) {
		t.Errorf("want ErrNoWebhookSecret, got %v", err)
	}
}

func TestLoadSecretsFromFiles(t *testing.T) {
	t.Parallel()
	c := parse(t, "--netbox-token=inline", "--netbox-token-file=/nb", "--webhook-secret-file=/wh", "--github-token-file=/gh", "--api-token-file=/missing")
	files := map[string]string{"/nb": "from-file\n", "/wh": "  whsecret \n", "/gh": "ghp_x"}
	read := func(p string) ([]byte, error) {
		if v, ok := files[p]; ok {
			return []byte(v), nil
		}
		return nil, fmt.Errorf("open %s: no such file", p)
	}
	err := c.LoadSecrets(read)
	if err == nil || !strings.Contains(err.Error(), "--api-token-file") {
		t.Fatalf("want an error naming --api-token-file, got %v", err)
	}
	if c.NetBoxToken.Value() != "from-file" || c.WebhookSecret.Value() != "whsecret" || c.GitHubToken.Value() != "ghp_x" {
		t.Fatalf("secrets not read and trimmed: %q %q %q", c.NetBoxToken.Value(), c.WebhookSecret.Value(), c.GitHubToken.Value())
	}
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	c := parse(t, "--github-token=ghp_do_not_print")
	for _, s := range []string{fmt.Sprint(c.GitHubToken), fmt.Sprintf("%v %s", c.GitHubToken, c.GitHubToken), fmt.Sprintf("%+v", *c)} {
		if strings.Contains(s, "ghp_do_not_print") {
			t.Fatalf("secret printed: %s", s)
		}
	}
	var fs = pflag.NewFlagSet("x", pflag.ContinueOnError)
	var c2 Config
	c2.RegisterFlags(fs)
	_ = fs.Parse([]string{"--github-token=ghp_do_not_print"})
	if strings.Contains(fs.FlagUsages(), "ghp_do_not_print") {
		t.Fatal("secret shown as a flag default")
	}
}

func TestCommitterDefaultsToAuthor(t *testing.T) {
	t.Parallel()
	c := parse(t, "--commit-author-name=Bot", "--commit-author-email=bot@example.com")
	if n, e := c.Committer(); n != "Bot" || e != "bot@example.com" {
		t.Fatalf("committer %s <%s>", n, e)
	}
	c = parse(t, "--committer-name=CI", "--committer-email=ci@example.com")
	if n, e := c.Committer(); n != "CI" || e != "ci@example.com" {
		t.Fatalf("committer %s <%s>", n, e)
	}
}

// serve names every missing setting at once, not one per attempt.
func TestValidateServeReportsEveryProblem(t *testing.T) {
	t.Parallel()
	var c Config
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	err := c.ValidateServe()
	var req RequiredError
	if !errors.As(err, &req) || !errors.Is(err, ErrNoWebhookSecret) {
		t.Fatalf("ValidateServe = %v; want the missing settings and the webhook secret", err)
	}
	for _, want := range []string{"--netbox-url is required", "--netbox-token-file is required", "no webhook secret"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %q", err, want)
		}
	}
}

// With a git webhook secret, --full-resync-every defaults to
// FullResyncEveryWithGitWebhooks, unless the user set it.
func TestGitWebhookDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"no git webhooks", nil, 6},
		{"git webhooks", []string{"--git-webhook-secret=s"}, FullResyncEveryWithGitWebhooks},
		{"git webhooks, explicit", []string{"--git-webhook-secret=s", "--full-resync-every=3"}, 3},
		{"git webhooks, explicit default", []string{"--git-webhook-secret=s", "--full-resync-every=6"}, 6},
	} {
		var c Config
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		c.RegisterFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		c.GitWebhookDefaults(fs.Changed)
		if c.FullResyncEvery != tc.want {
			t.Errorf("%s: --full-resync-every %d, want %d", tc.name, c.FullResyncEvery, tc.want)
		}
	}
	if err := parse(t, "--netbox-url=https://n", "--netbox-token=x", "--webhook-secret=s", "--git-webhook-max-body-bytes=0").ValidateServe(); err == nil ||
		!strings.Contains(err.Error(), "--git-webhook-max-body-bytes") {
		t.Errorf("a zero body cap: %v", err)
	}
}

func TestGitWebhookSecretFromFile(t *testing.T) {
	t.Parallel()
	c := parse(t, "--git-webhook-secret=inline", "--git-webhook-secret-file=/gh")
	err := c.LoadSecrets(func(name string) ([]byte, error) {
		if name != "/gh" {
			return nil, fmt.Errorf("unexpected %s", name)
		}
		return []byte("from-file\n"), nil
	})
	if err != nil || c.GitWebhookSecret.Value() != "from-file" {
		t.Fatalf("got %q, %v", c.GitWebhookSecret.Value(), err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v", c.GitWebhookSecret, c), "from-file") {
		t.Error("the secret prints")
	}
}
