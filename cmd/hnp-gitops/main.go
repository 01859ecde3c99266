// Command hnp-gitops is the one binary of the service: serve, reconcile,
// plan, netbox setup and version. All of it lives in internal/cli; main only
// turns signals into a context.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/githedgehog/hnp-gitops/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
