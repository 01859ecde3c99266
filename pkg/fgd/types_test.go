package fgd

import "testing"

func TestBlobSHA(t *testing.T) {
	t.Parallel()
	// Values from `printf ... | git hash-object --stdin`.
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"},
		{"hello", "hello\n", "ce013625030ba8dba906f756967f9e9ca394464a"},
	} {
		if got := BlobSHA([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: BlobSHA = %s, want %s", tc.name, got, tc.want)
		}
	}
}
