package netboxsim

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestConditions(t *testing.T) {
	t.Parallel()
	data := toGeneric(obj(
		"name", "fabric-1",
		"status", obj("value", "active", "label", "Active"),
		"custom_fields", obj("gitops_directory_status", obj("value", "not_initialized", "label", "Not initialized"), "n", 5),
		"tags", []any{"a", "b"},
	))
	tests := []struct {
		cond string
		want bool
	}{
		{`{"attr": "status.value", "value": "active"}`, true},
		{`{"attr": "status.value", "value": "active", "negate": true}`, false},
		{`{"attr": "custom_fields.gitops_directory_status.value", "value": ["not_initialized", "error"], "op": "in"}`, true},
		{`{"attr": "custom_fields.n", "value": 4, "op": "gt"}`, true},
		{`{"attr": "custom_fields.n", "value": 5, "op": "lt"}`, false},
		{`{"attr": "custom_fields.n", "value": 5, "op": "lte"}`, true},
		{`{"attr": "tags", "value": "b", "op": "contains"}`, true},
		{`{"attr": "name", "value": "^fabric-\\d+$", "op": "regex"}`, true},
		{`{"attr": "missing.deep", "value": null}`, true},
		{`{"and": [{"attr": "name", "value": "fabric-1"}, {"attr": "status.value", "value": "planned"}]}`, false},
		{`{"or": [{"attr": "name", "value": "x"}, {"and": [{"attr": "status.value", "value": "active"}]}]}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			dec := json.NewDecoder(strings.NewReader(tc.cond))
			dec.UseNumber()
			var c any
			if err := dec.Decode(&c); err != nil {
				t.Fatal(err)
			}
			if err := checkConditions(c); err != nil {
				t.Fatalf("check: %v", err)
			}
			if got := evalConditions(c, data); got != tc.want {
				t.Errorf("eval = %v, want %v", got, tc.want)
			}
		})
	}
	for _, bad := range []string{`[]`, `{"value": 1}`, `{"attr": "a"}`, `{"attr": "a", "value": 1, "op": "like"}`, `{"attr": "a", "value": "(", "op": "regex"}`, `{"and": {}}`} {
		var c any
		_ = json.Unmarshal([]byte(bad), &c)
		if err := checkConditions(c); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
