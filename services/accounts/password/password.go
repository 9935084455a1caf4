// Package password hashes and checks passwords with argon2id
// (golang.org/x/crypto/argon2), storing each hash in the PHC string format
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with a random salt per hash. Checking compares in constant time and uses
// the parameters stored in the hash, so hashes made with older parameters
// keep working after the parameters change.
//
// Hashing is deliberately slow and memory-hungry; a Hasher bounds how many
// hashes run at once so a burst of sign-ins cannot exhaust memory.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash is wrapped by every error about a stored hash that is
// not a well-formed argon2id PHC string within the accepted bounds.
var ErrMalformedHash = errors.New("malformed password hash")

// Params are argon2id's cost parameters.
type Params struct {
	// MemoryKiB is the memory used per hash, in KiB.
	MemoryKiB uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
	// SaltBytes is the length of the random salt.
	SaltBytes int
	// KeyBytes is the length of the derived key.
	KeyBytes int
}

// DefaultParams returns OWASP's minimum argon2id parameters (19 MiB, 2
// passes, 1 thread), sized for a 2-core machine shared by several
// services. One hash takes about 33 ms and 19.9 MB on such a machine
// (BenchmarkHash, 2 vCPUs of a Turin-class x86-64: 33.3 ms/op, 19925961
// B/op) and holds its 19 MiB while it runs.
func DefaultParams() Params {
	return Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1, SaltBytes: 16, KeyBytes: 32}
}

// Bounds on parameters read from a stored hash, so a corrupt or hostile
// row cannot make a check allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 256 * 1024
	maxTime      = 16
	maxThreads   = 16
	minSaltBytes = 8
	maxSaltBytes = 64
	minKeyBytes  = 16
	maxKeyBytes  = 64
)

// Hasher hashes and checks passwords, at most a fixed number at a time.
type Hasher struct {
	params Params
	slots  chan struct{}
	// dummy is a hash no password matches, with params: VerifyDummy
	// checks against it.
	dummy string
}

// NewHasher returns a Hasher making hashes with p and running at most
// concurrency hashes at once; concurrency <= 0 means GOMAXPROCS.
func NewHasher(p Params, concurrency int) (*Hasher, error) {
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("new password hasher: %w", err)
	}
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	salt, key := make([]byte, p.SaltBytes), make([]byte, p.KeyBytes)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("new password hasher: %w", err)
	}
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("new password hasher: %w", err)
	}
	return &Hasher{params: p, slots: make(chan struct{}, concurrency), dummy: encode(p, salt, key)}, nil
}

// Hash returns the PHC string of a fresh argon2id hash of password. It
// waits for a free slot, or fails with ctx's error.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, uint32(h.params.KeyBytes))
	h.release()
	return encode(h.params, salt, key), nil
}

// Verify reports whether password matches the PHC string encoded. A
// mismatch is (false, nil); an unreadable hash wraps ErrMalformedHash. It
// waits for a free slot, or fails with ctx's error.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, fmt.Errorf("verify password: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return false, fmt.Errorf("verify password: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	h.release()
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyDummy spends the time and memory of a Verify against a hash made
// with the Hasher's parameters, which no password matches. Call it when
// there is no stored hash to check (an unknown user), so that the answer
// takes as long as a wrong password's. It fails only with ctx's error.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	_, err := h.Verify(ctx, h.dummy, password)
	return err
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// check reports parameters outside the accepted bounds.
func (p Params) check() error {
	switch {
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("memory %d KiB out of range", p.MemoryKiB)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d out of range", p.Time)
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("threads %d out of range", p.Threads)
	case p.SaltBytes < minSaltBytes || p.SaltBytes > maxSaltBytes:
		return fmt.Errorf("salt of %d bytes out of range", p.SaltBytes)
	case p.KeyBytes < minKeyBytes || p.KeyBytes > maxKeyBytes:
		return fmt.Errorf("key of %d bytes out of range", p.KeyBytes)
	}
	return nil
}

// b64 is the PHC format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// encode formats a hash as a PHC string.
func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses a PHC string made by encode.
func decode(s string) (Params, []byte, []byte, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, fmt.Errorf("%w: not an argon2id PHC string", ErrMalformedHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, fmt.Errorf("%w: unsupported version %q", ErrMalformedHash, parts[2])
	}
	p, err := parseParams(parts[3])
	if err != nil {
		return Params{}, nil, nil, err
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: salt: %v", ErrMalformedHash, err)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: hash: %v", ErrMalformedHash, err)
	}
	p.SaltBytes, p.KeyBytes = len(salt), len(key)
	if err := p.check(); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	return p, salt, key, nil
}

// parseParams parses "m=19456,t=2,p=1".
func parseParams(s string) (Params, error) {
	var m, t, p uint64
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, fmt.Errorf("%w: parameters %q", ErrMalformedHash, s)
	}
	for i, dst := range []*uint64{&m, &t, &p} {
		name, val, ok := strings.Cut(fields[i], "=")
		n, err := strconv.ParseUint(val, 10, 32)
		if !ok || err != nil || name != "mtp"[i:i+1] {
			return Params{}, fmt.Errorf("%w: parameters %q", ErrMalformedHash, s)
		}
		*dst = n
	}
	if p > maxThreads {
		return Params{}, fmt.Errorf("%w: threads %d out of range", ErrMalformedHash, p)
	}
	return Params{MemoryKiB: uint32(m), Time: uint32(t), Threads: uint8(p)}, nil
}
