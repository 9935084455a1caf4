package recommendations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// migrations holds the schema, applied by storage.Open.
//
//go:embed migrations/*.sql
var migrations embed.FS

// MaxProductsPerOrder bounds the distinct products of one order that are
// counted (the first ones in id order): pairs grow with its square.
const MaxProductsPerOrder = 100

// scored is a product and its score.
type scored struct {
	ProductID string
	Score     int64
}

// store keeps purchase and co-purchase counts.
type store struct {
	db *storage.DB
}

// openStore opens (creating and migrating when needed) the database at
// dsn, with opts and the events tables.
func openStore(ctx context.Context, dsn string, opts ...storage.Option) (*store, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open recommendations store: %w", err)
	}
	db, err := events.Open(ctx, dsn, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("open recommendations store: %w", err)
	}
	return &store{db: db}, nil
}

// close closes the database.
func (s *store) close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close recommendations store: %w", err)
	}
	return nil
}

// ping reports whether the database answers.
func (s *store) ping(ctx context.Context) error {
	return s.db.Ping(ctx)
}

// distinct returns ids without empties and repeats, sorted, at most max.
func distinct(ids []string, max int) []string {
	out := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" })
	slices.Sort(out)
	out = slices.Compact(out)
	return out[:min(len(out), max)]
}

// record counts one confirmed order in tx: each of its distinct products
// once, each pair of them once. It reports false, counting nothing, for
// an order already counted.
func (s *store) record(ctx context.Context, tx *sql.Tx, orderID string, productIDs []string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, s.db.Dialect.Rebind(
		`INSERT INTO counted_orders (order_id, count_time) VALUES (?, ?) ON CONFLICT (order_id) DO NOTHING`),
		orderID, at.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return false, fmt.Errorf("count order %s: %w", orderID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return false, fmt.Errorf("count order %s: %w", orderID, err)
		}
		return false, nil
	}
	ids := distinct(productIDs, MaxProductsPerOrder)
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, s.db.Dialect.Rebind(`INSERT INTO product_purchases (product_id, orders) VALUES (?, 1)
			ON CONFLICT (product_id) DO UPDATE SET orders = product_purchases.orders + 1`), id); err != nil {
			return false, fmt.Errorf("count order %s: product %s: %w", orderID, id, err)
		}
		for _, other := range ids {
			if other == id {
				continue
			}
			if _, err := tx.ExecContext(ctx, s.db.Dialect.Rebind(`INSERT INTO co_purchases (product_id, other_id, orders) VALUES (?, ?, 1)
				ON CONFLICT (product_id, other_id) DO UPDATE SET orders = co_purchases.orders + 1`), id, other); err != nil {
				return false, fmt.Errorf("count order %s: pair %s, %s: %w", orderID, id, other, err)
			}
		}
	}
	return true, nil
}

// placeholders is "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// anyArgs turns ids into query arguments.
func anyArgs(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// coPurchased returns up to limit products bought together with any of
// given, none of them one of given, best first. A product's score is the
// sum of its pair counts with the given products: the number of orders
// that held it with one of them, where an order holding it with two of
// them counts twice. Ties go to the smaller id.
func (s *store) coPurchased(ctx context.Context, given []string, limit int) ([]scored, error) {
	q := `SELECT other_id, SUM(orders) AS score FROM co_purchases
		WHERE product_id IN (` + placeholders(len(given)) + `) AND other_id NOT IN (` + placeholders(len(given)) + `)
		GROUP BY other_id ORDER BY score DESC, other_id LIMIT ?`
	args := append(append(anyArgs(given), anyArgs(given)...), limit)
	return s.scoredQuery(ctx, "list co-purchased products", q, args)
}

// popular returns up to limit of the most bought products, none of them
// in exclude, best first, scored by how many orders held them.
func (s *store) popular(ctx context.Context, exclude []string, limit int) ([]scored, error) {
	q := `SELECT product_id, orders FROM product_purchases`
	if len(exclude) > 0 {
		q += ` WHERE product_id NOT IN (` + placeholders(len(exclude)) + `)`
	}
	q += ` ORDER BY orders DESC, product_id LIMIT ?`
	return s.scoredQuery(ctx, "list popular products", q, append(anyArgs(exclude), limit))
}

// hasPurchases reports whether any order was counted.
func (s *store) hasPurchases(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.Q(nil).QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM product_purchases LIMIT 1) AS p`).Scan(&n); err != nil {
		return false, fmt.Errorf("check purchase data: %w", err)
	}
	return n > 0, nil
}

// scoredQuery runs a query of (product id, score) rows, prepared once per
// query text (one per number of ids: few, since a product page gives one).
func (s *store) scoredQuery(ctx context.Context, op, q string, args []any) ([]scored, error) {
	rows, err := s.db.Q(nil).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []scored
	for rows.Next() {
		var r scored
		if err := rows.Scan(&r.ProductID, &r.Score); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}
