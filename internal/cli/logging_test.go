package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestLoggerRedactsSecrets(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, err := newLogger(&buf, "debug", []string{"ghp_supersecret123", ""})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("token ghp_supersecret123 in message", "attr", "x ghp_supersecret123 y",
		"err", errors.New("failed with ghp_supersecret123"))
	out := buf.String()
	if strings.Contains(out, "ghp_supersecret123") {
		t.Fatalf("secret leaked: %s", out)
	}
	if strings.Count(out, "[redacted]") != 3 {
		t.Fatalf("want 3 redactions, got: %s", out)
	}
	if _, err := newLogger(&buf, "loud", nil); err == nil {
		t.Fatal("want an error for an unknown level")
	}
}
