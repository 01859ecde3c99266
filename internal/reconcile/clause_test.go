package reconcile

import (
	"errors"
	"testing"
)

// A message that ends its sentence itself must not end with two full stops
// when the cause already has one (GitHub's protected branch message does).
func TestClause(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, err, want string }{
		{"no stop", "422: Bad thing", "422: Bad thing"},
		{"github stop", "422: Protected branch update failed for refs/heads/main.", "422: Protected branch update failed for refs/heads/main"},
		{"stops and space", "oops.. ", "oops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := clause(errors.New(tt.err)); got != tt.want {
				t.Errorf("clause(%q) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
