package payment

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// migrations holds the schema, applied by storage.Open.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Errors of the store; the handler maps them to gRPC status codes.
var (
	// errNotFound marks a charge that does not exist.
	errNotFound = errors.New("charge not found")
	// errRefunded marks a Charge for an order already refunded.
	errRefunded = errors.New("order already refunded")
	// errConflict marks a Charge that contradicts an earlier one: its key
	// was used for another order or amount, or the order was charged
	// another amount.
	errConflict = errors.New("conflicts with an earlier charge")
	// errTransient marks a processor failure that charged nothing; the
	// caller may retry.
	errTransient = errors.New("processor temporarily unavailable")
)

// store keeps charges, refunds and the ledger in the service's own
// database.
type store struct {
	db *storage.DB
	// events receives payment.succeeded, payment.failed and
	// payment.refunded.
	events events.Recorder
	// now stamps changes; newID makes ids.
	now   func() time.Time
	newID func() string
}

// openDB opens (creating and migrating when needed) the database at dsn,
// with opts and the events tables.
func openDB(ctx context.Context, dsn string, opts ...storage.Option) (*storage.DB, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open payment database: %w", err)
	}
	db, err := events.Open(ctx, dsn, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("open payment database: %w", err)
	}
	return db, nil
}

// charge is one attempt to charge a card.
type charge struct {
	ID, OrderID, IdempotencyKey string
	Amount                      *typesv1.Money
	Status                      paymentv1.ChargeStatus
	FailureMessage              string
	CardLastFour, CardBrand     string
	CreateTime, UpdateTime      time.Time
}

// refund is the money returned for an order.
type refund struct {
	ID, OrderID, ChargeID string
	// Amount is nil when the order's currency was never known.
	Amount         *typesv1.Money
	IdempotencyKey string
	CreateTime     time.Time
}

// Charge statuses, short.
const (
	statusSucceeded         = paymentv1.ChargeStatus_CHARGE_STATUS_SUCCEEDED
	statusDeclined          = paymentv1.ChargeStatus_CHARGE_STATUS_DECLINED
	statusInsufficientFunds = paymentv1.ChargeStatus_CHARGE_STATUS_INSUFFICIENT_FUNDS
	statusRefunded          = paymentv1.ChargeStatus_CHARGE_STATUS_REFUNDED
)

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// selectCharges is the column list scanCharge reads.
const selectCharges = `SELECT seq, id, order_id, idempotency_key, currency_code, units, nanos, status,
	failure_message, card_last_four, card_brand, create_time, update_time FROM charges`

// scanCharge reads one row of selectCharges and its seq.
func scanCharge(row scanner) (charge, int64, error) {
	var c charge
	var seq int64
	var m typesv1.Money
	var created, updated string
	err := row.Scan(&seq, &c.ID, &c.OrderID, &c.IdempotencyKey, &m.CurrencyCode, &m.Units, &m.Nanos, &c.Status,
		&c.FailureMessage, &c.CardLastFour, &c.CardBrand, &created, &updated)
	if err != nil {
		return charge{}, 0, err
	}
	c.Amount = &m
	if c.CreateTime, err = parseTime(created); err != nil {
		return charge{}, 0, fmt.Errorf("charge %s: %w", c.ID, err)
	}
	if c.UpdateTime, err = parseTime(updated); err != nil {
		return charge{}, 0, fmt.Errorf("charge %s: %w", c.ID, err)
	}
	return c, seq, nil
}

// oneCharge returns the first charge a query finds; errNotFound for none.
func (s *store) oneCharge(ctx context.Context, q querier, where string, args ...any) (charge, error) {
	c, _, err := scanCharge(q.QueryRowContext(ctx, s.db.Dialect.Rebind(selectCharges+" "+where), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return charge{}, errNotFound
	}
	return c, err
}

// chargeByID returns one charge.
func (s *store) chargeByID(ctx context.Context, id string) (charge, error) {
	c, err := s.oneCharge(ctx, s.db, `WHERE id = ?`, id)
	if err != nil {
		return charge{}, fmt.Errorf("get charge %s: %w", id, err)
	}
	return c, nil
}

// chargeOfOrder returns an order's SUCCEEDED or REFUNDED charge if it has
// one, else its latest attempt.
func (s *store) chargeOfOrder(ctx context.Context, q querier, orderID string) (charge, error) {
	c, err := s.oneCharge(ctx, q, `WHERE order_id = ? ORDER BY status IN (?, ?) DESC, seq DESC LIMIT 1`,
		orderID, statusSucceeded, statusRefunded)
	if err != nil {
		return charge{}, fmt.Errorf("get charge of order %s: %w", orderID, err)
	}
	return c, nil
}

// listCharges returns up to limit charges after seq `after`, oldest
// first, only orderID's when it is set, and the seq to continue after (0
// when no more follow).
func (s *store) listCharges(ctx context.Context, orderID string, after int64, limit int) ([]charge, int64, error) {
	q := selectCharges + ` WHERE seq > ? AND (? = '' OR order_id = ?) ORDER BY seq LIMIT ?`
	rows, err := s.db.QueryContext(ctx, s.db.Dialect.Rebind(q), after, orderID, orderID, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("list charges: %w", err)
	}
	defer rows.Close()
	var out []charge
	var seqs []int64
	for rows.Next() {
		c, seq, err := scanCharge(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list charges: %w", err)
		}
		out, seqs = append(out, c), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list charges: %w", err)
	}
	if len(out) > limit {
		return out[:limit], seqs[limit-1], nil
	}
	return out, 0, nil
}

// refundOf returns an order's refund; errNotFound when it has none.
func (s *store) refundOf(ctx context.Context, q querier, orderID string) (refund, error) {
	var r refund
	var m typesv1.Money
	var created string
	err := q.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT id, order_id, charge_id, currency_code, units, nanos, idempotency_key, create_time
		FROM refunds WHERE order_id = ?`), orderID).
		Scan(&r.ID, &r.OrderID, &r.ChargeID, &m.CurrencyCode, &m.Units, &m.Nanos, &r.IdempotencyKey, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return refund{}, errNotFound
	}
	if err != nil {
		return refund{}, err
	}
	if m.CurrencyCode != "" {
		r.Amount = &m
	}
	if r.CreateTime, err = parseTime(created); err != nil {
		return refund{}, fmt.Errorf("refund %s: %w", r.ID, err)
	}
	return r, nil
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

// sameAmount reports whether two amounts are the same currency and value.
func sameAmount(a, b *typesv1.Money) bool {
	return a.GetCurrencyCode() == b.GetCurrencyCode() && a.GetUnits() == b.GetUnits() && a.GetNanos() == b.GetNanos()
}
