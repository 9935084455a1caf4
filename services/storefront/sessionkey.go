package storefront

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// newSessionKeyBytes is the size of a session key LoadSessionKey creates.
const newSessionKeyBytes = 32

// LoadSessionKey returns the session key kept in the file at path. When
// the file does not exist it is created, with its directory, holding 32
// random bytes and readable by its owner only (0600), so sessions outlive
// a restart. The file is written in full before it appears, so replicas
// starting together on one data directory end up with the same key. A key
// file shorter than MinSessionKeyBytes, or readable by group or others,
// is an error.
func LoadSessionKey(path string) ([]byte, error) {
	key, err := readSessionKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createSessionKey(path); err != nil {
		return nil, err
	}
	return readSessionKey(path)
}

// readSessionKey reads and checks an existing key file.
func readSessionKey(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("session key %s: %w", path, err)
	}
	// Group read is allowed: Kubernetes mounts a Secret for a non-root
	// user as 0440 owned by the pod's fsGroup, and no mode makes it 0400
	// and readable (kubernetes/kubernetes#57923). World access, or a group
	// that may write it, is refused.
	if info.Mode().Perm()&0o027 != 0 {
		return nil, fmt.Errorf("session key %s: open to others (mode %v); chmod 600 (or 640) it", path, info.Mode().Perm())
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("session key %s: %w", path, err)
	}
	if len(key) < MinSessionKeyBytes {
		return nil, fmt.Errorf("session key %s: %d bytes, want at least %d", path, len(key), MinSessionKeyBytes)
	}
	return key, nil
}

// createSessionKey writes a new random key to path unless a key appeared
// there meanwhile: the key goes to a temporary file first, which is then
// linked to path (a link never replaces a file).
func createSessionKey(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("session key directory %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".session.key-*")
	if err != nil {
		return fmt.Errorf("create session key: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	key := make([]byte, newSessionKeyBytes)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	_, werr := tmp.Write(key)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("write session key %s: %w", tmp.Name(), err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create session key %s: %w", path, err)
	}
	return nil
}
