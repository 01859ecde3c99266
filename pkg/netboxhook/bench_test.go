package netboxhook_test

import (
	"testing"

	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
)

func BenchmarkParse(b *testing.B) {
	body := readFile(b, "payload-4.6.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := netboxhook.Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	body := readFile(b, "payload-4.6.json")
	secret := []byte("s3crét")
	sig := netboxhook.Sign(secret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := netboxhook.Verify(secret, body, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChangedFields(b *testing.B) {
	ev, err := netboxhook.Parse(readFile(b, "payload-4.6.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = ev.ChangedFields()
	}
}
