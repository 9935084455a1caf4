// Package store keeps the accounts service's users, their password hashes
// and their address books in the service's own SQL database.
//
// The store trusts its caller to have validated and normalised input
// (e-mail addresses lower-cased). It returns plain errors wrapped with the
// operation; the sentinel errors below say which failures are the
// caller's. Choosing a gRPC status is the caller's job.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/bazaar-shop/bazaar/platform/storage"
)

// Errors a caller can act on.
var (
	// ErrNotFound: no such user.
	ErrNotFound = errors.New("not found")
	// ErrEmailTaken: another registration holds the e-mail address.
	ErrEmailTaken = errors.New("e-mail address already registered")
	// ErrKeyReused: the idempotency key was used for a different request.
	ErrKeyReused = errors.New("idempotency key already used for a different request")
	// ErrAddressBookFull: the user has MaxAddresses addresses.
	ErrAddressBookFull = errors.New("address book is full")
)

// MaxAddresses is the most addresses one user may keep.
const MaxAddresses = 50

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the accounts database.
type Store struct {
	db *storage.DB
}

// Open opens the database named by dsn, with opts, and brings its schema
// up to date.
func Open(ctx context.Context, dsn string, opts ...storage.Option) (*Store, error) {
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open accounts store: %w", err)
	}
	db, err := storage.Open(ctx, dsn, migrations, opts...)
	if err != nil {
		return nil, fmt.Errorf("open accounts store: %w", err)
	}
	return &Store{db: db}, nil
}

// DB is the store's database, for the events outbox that shares its
// transactions.
func (s *Store) DB() *storage.DB { return s.db }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.Ping(ctx)
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close accounts store: %w", err)
	}
	return nil
}

// timeFormat stores times as text, in UTC.
const timeFormat = time.RFC3339Nano

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t, nil
}

// noRows turns sql.ErrNoRows into ErrNotFound.
func noRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
