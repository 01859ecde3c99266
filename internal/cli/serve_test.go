package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestServeLeaderElectionOutsideACluster: --leader-election needs the
// in-cluster service account; outside a cluster serve stops with a one-line
// error naming the flag instead of running a resync on every replica.
func TestServeLeaderElectionOutsideACluster(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := Run(ctx, []string{"serve", "--listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0",
		"--netbox-url=http://127.0.0.1:1", "--netbox-token=t0ken-value", "--webhook-secret=s3cret-value",
		"--leader-election"}, Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if ctx.Err() != nil {
		t.Fatal("serve did not stop on its own")
	}
	last := strings.TrimSpace(errb.String())
	if i := strings.LastIndex(last, "\n"); i >= 0 {
		last = last[i+1:]
	}
	if code != ExitFailure || !strings.HasPrefix(last, "hnp-gitops: --leader-election:") || !strings.Contains(last, "cluster") {
		t.Fatalf("exit %d, last line %q; want exit 1 and a line naming --leader-election and the cluster", code, last)
	}
	if strings.Contains(errb.String(), "t0ken-value") || strings.Contains(errb.String(), "s3cret-value") {
		t.Fatal("a secret in the output")
	}
}
