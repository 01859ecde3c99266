package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestRunShort runs the whole tool briefly: both servers answer every
// request with 202, the real one queues every delivery, the report has
// its figures, and nothing is left running.
func TestRunShort(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"-rate", "200", "-duration", "300ms", "-rounds", "2", "-warmup", "100ms", "-bodies", "8"}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"1     bare", "1     server", "2     server", "p99 ratio server/bare: median", "VmHWM"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunFlags(t *testing.T) {
	for _, args := range [][]string{{"-rate", "0"}, {"-rounds", "0"}, {"-duration", "-1s"}, {"-nope"}} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q): want an error", args)
		}
	}
}
