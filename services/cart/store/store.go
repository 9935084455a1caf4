// Package store keeps the cart service's carts in the service's own SQL
// database: one cart per shopper, its lines in the order they were first
// added, and the idempotency keys of the additions already applied.
//
// The store enforces the cart's limits (MaxLines lines, quantities 1 to
// MaxQuantity) and returns plain errors wrapped with the operation; the
// sentinel errors below say which failures are the caller's. Choosing a
// gRPC status is the caller's job.
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

// Limits of a cart, from the contract.
const (
	// MaxLines is the most lines one cart may hold.
	MaxLines = 50
	// MaxQuantity is the most units of one product in a cart.
	MaxQuantity = 99
)

// Errors a caller can act on.
var (
	// ErrLineFull: the change would put more than MaxQuantity units of a
	// product in the cart.
	ErrLineFull = errors.New("line would exceed the most units per product")
	// ErrCartFull: the change would put more than MaxLines lines in the
	// cart.
	ErrCartFull = errors.New("cart would exceed the most lines")
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Line is one product and its quantity in a cart.
type Line struct {
	ProductID string
	Quantity  int32
}

// Cart is a shopper's cart.
type Cart struct {
	ShopperID string
	// Lines are in the order they were first added.
	Lines []Line
	// Updated is when the cart last changed; zero for a cart never
	// written.
	Updated time.Time
}

// Store is the cart database.
type Store struct {
	db *storage.DB
}

// Open opens the database named by dsn, with opts, and brings its schema
// up to date.
func Open(ctx context.Context, dsn string, opts ...storage.Option) (*Store, error) {
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open cart store: %w", err)
	}
	db, err := storage.Open(ctx, dsn, migrations, opts...)
	if err != nil {
		return nil, fmt.Errorf("open cart store: %w", err)
	}
	return &Store{db: db}, nil
}

// DB is the store's database, for the events inbox that shares its
// transactions.
func (s *Store) DB() *storage.DB { return s.db }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.Ping(ctx)
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close cart store: %w", err)
	}
	return nil
}

// querier is a *sql.DB, a *sql.Tx or a storage.Querier (statements
// prepared once: what the store's own methods use).
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// timeFormat stores times as text, in UTC.
const timeFormat = time.RFC3339Nano

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }
