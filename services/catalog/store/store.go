// Package store keeps the catalog's products, categories, tags and images
// in the catalog's own SQL database and answers the queries the catalog
// service needs: listing, lookup by id, text search and images.
//
// The store returns plain errors wrapped with the operation; a missing
// product or category wraps ErrNotFound. Choosing a gRPC status is the
// caller's job.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/bazaar-shop/bazaar/platform/storage"
)

// ErrNotFound is wrapped by every error reporting a product, category or
// image that does not exist.
var ErrNotFound = errors.New("not found")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Category groups products.
type Category struct {
	ID          string
	Name        string
	Description string
}

// Money is an exact amount: Units + Nanos/1e9 of Currency.
type Money struct {
	Currency string
	Units    int64
	Nanos    int32
}

// Product is one thing the shop sells.
type Product struct {
	ID          string
	Name        string
	Description string
	CategoryID  string
	Price       Money
	WeightGrams int32
	// Tags are search keywords, in the order they were given.
	Tags []string
}

// Image is a product's picture.
type Image struct {
	ProductID   string
	ContentType string
	Data        []byte
	// ETag is a strong HTTP validator for Data.
	ETag string
}

// Store is the catalog database.
type Store struct {
	db *storage.DB
}

// Open opens the database named by dsn, with opts, and brings its schema
// up to date.
func Open(ctx context.Context, dsn string, opts ...storage.Option) (*Store, error) {
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open catalog store: %w", err)
	}
	db, err := storage.Open(ctx, dsn, migrations, opts...)
	if err != nil {
		return nil, fmt.Errorf("open catalog store: %w", err)
	}
	return &Store{db: db}, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.Ping(ctx)
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close catalog store: %w", err)
	}
	return nil
}
