package inventory

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// migrations holds the schema, applied by storage.Open.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Errors of the store; the handler maps them to gRPC status codes.
var (
	// errUnknownProduct marks a product inventory has no stock for.
	errUnknownProduct = errors.New("unknown product")
	// errNoReservation marks an order that has no reservation.
	errNoReservation = errors.New("no reservation")
	// errCommitted marks a Release of a COMMITTED reservation.
	errCommitted = errors.New("reservation is committed")
	// errNotReserved marks a Commit of a RELEASED or REJECTED reservation.
	errNotReserved = errors.New("reservation holds no stock")
)

// store keeps stock and reservations in the service's own database.
type store struct {
	db *storage.DB
	// events receives stock.reserved, stock.rejected and stock.low.
	events events.Recorder
	// lowThreshold is the on_hand level below which stock.low is sent.
	lowThreshold int64
	// now stamps changes.
	now func() time.Time
}

// openDB opens (creating and migrating when needed) the database at dsn,
// with opts and the events tables.
func openDB(ctx context.Context, dsn string, opts ...storage.Option) (*storage.DB, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open inventory database: %w", err)
	}
	db, err := events.Open(ctx, dsn, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("open inventory database: %w", err)
	}
	return db, nil
}

// seed loads stock when the store has none yet, and reports whether it
// did. A product loaded below the low-stock threshold starts marked low:
// stock.low is sent when stock drops below the threshold, not for stock
// that never was above it.
func (s *store) seed(ctx context.Context, seeds []seedStock) (bool, error) {
	seeded := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		seeded = false // InTx may run this again
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM stock`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		at := formatTime(s.now())
		for _, st := range seeds {
			_, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO stock
				(product_id, on_hand, reserved, sold, loaded, low, update_time) VALUES (?, ?, 0, 0, ?, ?, ?)`,
				st.ProductID, st.Quantity, st.Quantity, st.Quantity < s.lowThreshold, at)
			if err != nil {
				return fmt.Errorf("insert %s: %w", st.ProductID, err)
			}
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seed stock: %w", err)
	}
	return seeded, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// formatTime writes t as stored: RFC 3339 with nanoseconds, in UTC.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// parseTime reads a time written by formatTime.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}
