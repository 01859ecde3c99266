package testkit

import (
	"bytes"
	crand "crypto/rand"
	"crypto/rsa"
	"math/rand/v2"
	"sync"
)

// RandomBytes returns n bytes from a PCG generator seeded with seed1 and
// seed2: random-looking, yet the same on every run.
func RandomBytes(n int, seed1, seed2 uint64) []byte {
	r := rand.New(rand.NewPCG(seed1, seed2)) //nolint:gosec // test data, not secrets
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers and readers (a
// log sink of concurrent handlers, a command's output read while it runs).
// The zero value is ready.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// RSAKeys are two 2048-bit keys, generated once per test binary (a GitHub
// App's and a stranger's).
var RSAKeys = sync.OnceValues(func() (*rsa.PrivateKey, *rsa.PrivateKey) {
	a, err := rsa.GenerateKey(crand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	b, err := rsa.GenerateKey(crand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return a, b
})
