package cli

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/githedgehog/hnp-gitops/internal/redact"
)

// newLogger returns the JSON logger of the service. Whatever the code above
// it does, a configured secret is replaced by "[redacted]" in every message
// and string or error attribute: a second line of defence behind the
// adapters' own scrubbing.
func newLogger(w io.Writer, level string, secrets []string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", level)
	}
	var live []string
	for _, s := range secrets {
		if s != "" {
			live = append(live, s)
		}
	}
	scrub := func(s string) string { return redact.Secrets(s, live...) }
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if len(live) == 0 {
			return a
		}
		switch a.Value.Kind() {
		case slog.KindString:
			a.Value = slog.StringValue(scrub(a.Value.String()))
		case slog.KindAny:
			switch v := a.Value.Any().(type) {
			case error:
				a.Value = slog.StringValue(scrub(v.Error()))
			case fmt.Stringer:
				a.Value = slog.StringValue(scrub(v.String()))
			}
		}
		return a
	}}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}
