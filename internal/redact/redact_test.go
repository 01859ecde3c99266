package redact

import "testing"

func TestSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		secrets []string
		want    string
	}{
		{"Authorization: Token abc123def", []string{"abc123def"}, "Authorization: Token [redacted]"},
		{"https://user:ghp_TOKEN@github.com/o/r", []string{"ghp_TOKEN"}, "https://user:[redacted]@github.com/o/r"},
		{`{"secret": "whsec-a"}`, []string{"whsec-a"}, `{"secret": "[redacted]"}`},
		{"a=tok&b=tok", []string{"tok"}, "a=[redacted]&b=[redacted]"},
		// A short secret inside ordinary words is not a leak: they stay.
		{"netbox: GET /api/extras/", []string{"x"}, "netbox: GET /api/extras/"},
		{"value x here", []string{"x"}, "value [redacted] here"},
		{"tokentoken token", []string{"token"}, "tokentoken [redacted]"},
		{"nothing", []string{""}, "nothing"},
		{"two a and b", []string{"a", "b"}, "two [redacted] and [redacted]"},
		{"", []string{"s"}, ""},
	}
	for _, tt := range tests {
		if got := Secrets(tt.in, tt.secrets...); got != tt.want {
			t.Errorf("Secrets(%q, %q) = %q, want %q", tt.in, tt.secrets, got, tt.want)
		}
	}
}

func TestURLUserinfo(t *testing.T) {
	t.Parallel()
	if got := URLUserinfo("clone https://u:p@host/o/r.git failed; see http://x@y/z"); got != "clone https://host/o/r.git failed; see http://y/z" {
		t.Errorf("URLUserinfo = %q", got)
	}
}
