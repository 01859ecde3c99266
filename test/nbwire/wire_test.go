package nbwire

import (
	"encoding/json"
	"testing"
	"time"
)

func TestPythonJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"separators and order", Obj("b", 1, "a", []any{true, false, nil}), `{"b": 1, "a": [true, false, null]}`},
		{"sorted map", map[string]any{"z": "1", "a": Obj()}, `{"a": {}, "z": "1"}`},
		{"ascii escapes", "Zürich ✓ 𝄞", `"Z\u00fcrich \u2713 \ud834\udd1e"`},
		{"control characters", "a\"b\\c\n\t\x01\x7f/", `"a\"b\\c\n\t\u0001\u007f/"`},
		{"integers stay", json.Number("12345678901234567890"), `12345678901234567890`},
		{"float repr", []any{json.Number("1.50"), 0.1, 1e16, 1e15, 1e-5, 0.0001, -2.5e-7, 3.0}, `[1.5, 0.1, 1e+16, 1000000000000000.0, 1e-05, 0.0001, -2.5e-07, 3.0]`},
		{"empty", []any{}, `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PythonJSON(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestTimeFormats(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 6, 15, 11, 23, 503186000, time.UTC)
	whole := time.Date(2026, 3, 6, 15, 11, 23, 0, time.UTC)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"python isoformat", ISOTime(at), "2026-03-06T15:11:23.503186+00:00"},
		{"python isoformat whole second", ISOTime(whole), "2026-03-06T15:11:23+00:00"},
		{"drf", DRFTime(at), "2026-03-06T15:11:23.503186Z"},
		{"django encoder", DjangoTime(at), "2026-03-06T15:11:23.503Z"},
		{"django encoder whole second", DjangoTime(whole), "2026-03-06T15:11:23Z"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, tc.got, tc.want)
		}
	}
}
