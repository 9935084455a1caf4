package password

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fastParams keep tests quick; the encoding and checks are the same.
func fastParams() Params {
	return Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltBytes: 16, KeyBytes: 32}
}

func newHasher(t *testing.T, p Params, n int) *Hasher {
	t.Helper()
	h, err := NewHasher(p, n)
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	return h
}

func TestHashVerifyRoundTrip(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, DefaultParams(), 0)
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not a PHC string with the default parameters", enc)
	}
	if strings.Contains(enc, "correct horse") {
		t.Errorf("hash %q contains the password", enc)
	}
	tests := []struct {
		password string
		want     bool
	}{
		{"correct horse battery staple", true},
		{"correct horse battery stapl", false},
		{"Correct horse battery staple", false},
		{"", false},
	}
	for _, tt := range tests {
		got, err := h.Verify(ctx, enc, tt.password)
		if err != nil || got != tt.want {
			t.Errorf("Verify(%q) = %v, %v; want %v, nil", tt.password, got, err, tt.want)
		}
	}
}

func TestSaltIsRandom(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, fastParams(), 0)
	a, err := h.Hash(ctx, "same password")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(ctx, "same password")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal: %q", a)
	}
}

func TestVerifyUsesStoredParams(t *testing.T) {
	ctx := context.Background()
	old := newHasher(t, fastParams(), 0)
	enc, err := old.Hash(ctx, "password1")
	if err != nil {
		t.Fatal(err)
	}
	current := newHasher(t, DefaultParams(), 0)
	if ok, err := current.Verify(ctx, enc, "password1"); err != nil || !ok {
		t.Errorf("Verify of an old-parameter hash = %v, %v; want true", ok, err)
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	h := newHasher(t, fastParams(), 0)
	salt, key := "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	for _, enc := range []string{
		"",
		"plaintext",
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1$" + salt + "$" + key,
		"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=99999999,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=300$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$!!!$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c2hvcnQ",
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$extra",
	} {
		ok, err := h.Verify(context.Background(), enc, "password")
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("Verify(%q) = %v, %v; want false, ErrMalformedHash", enc, ok, err)
		}
	}
}

func TestNewHasherRejectsBadParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{MemoryKiB: 64, Time: 0, Threads: 1, SaltBytes: 16, KeyBytes: 32},
		{MemoryKiB: 64, Time: 1, Threads: 1, SaltBytes: 4, KeyBytes: 32},
		{MemoryKiB: 64, Time: 1, Threads: 1, SaltBytes: 16, KeyBytes: 8},
		{MemoryKiB: 1 << 30, Time: 1, Threads: 1, SaltBytes: 16, KeyBytes: 32},
	} {
		if _, err := NewHasher(p, 1); err == nil {
			t.Errorf("NewHasher(%+v) succeeded, want error", p)
		}
	}
}

func TestVerifyDummyCostsAVerify(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, DefaultParams(), 1)
	// The dummy hash has the Hasher's parameters, so checking against it
	// costs what checking a real hash does.
	p, salt, key, err := decode(h.dummy)
	if err != nil {
		t.Fatalf("decode dummy: %v", err)
	}
	if p != h.params || len(salt) != h.params.SaltBytes || len(key) != h.params.KeyBytes {
		t.Errorf("dummy hash parameters %+v, want %+v", p, h.params)
	}
	for _, pw := range []string{"", "password1", "correct horse battery staple"} {
		if err := h.VerifyDummy(ctx, pw); err != nil {
			t.Errorf("VerifyDummy(%q) = %v", pw, err)
		}
	}
	// And it really hashes: not answered in a small fraction of a Verify.
	enc, err := h.Hash(ctx, "password1")
	if err != nil {
		t.Fatal(err)
	}
	fastest := func(f func()) time.Duration {
		best := time.Hour
		for range 3 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	verify := fastest(func() { _, _ = h.Verify(ctx, enc, "wrong password") })
	dummy := fastest(func() { _ = h.VerifyDummy(ctx, "wrong password") })
	if dummy < verify/10 {
		t.Errorf("VerifyDummy took %v, Verify %v; want comparable", dummy, verify)
	}
}

func TestHashWaitsForSlotAndHonoursContext(t *testing.T) {
	h := newHasher(t, fastParams(), 1)
	h.slots <- struct{}{} // the only slot is busy
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "password1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash with no free slot = %v, want DeadlineExceeded", err)
	}
	if err := h.VerifyDummy(ctx, "password1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("VerifyDummy with no free slot = %v, want DeadlineExceeded", err)
	}
	<-h.slots
	if _, err := h.Hash(context.Background(), "password1"); err != nil {
		t.Errorf("Hash after the slot freed: %v", err)
	}
}

// BenchmarkHash measures one hash with DefaultParams; the figure is in
// DefaultParams' comment.
func BenchmarkHash(b *testing.B) {
	h, err := NewHasher(DefaultParams(), 1)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
