package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// querier is a *sql.DB, a *sql.Tx or a storage.Querier (statements
// prepared once).
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// keyHit is the order an idempotency key already made.
type keyHit struct {
	ID          string
	RequestHash string
	Status      ordersv1.OrderStatus
}

// orderColumns is the column list scanOrder reads.
const orderColumns = `id, idempotency_key, request_hash, shopper_id, user_id, email,
	ship_name, ship_street, ship_city, ship_postal_code, ship_country_code,
	currency_code, requested_currency, subtotal_units, subtotal_nanos, shipping_units, shipping_nanos,
	total_units, total_nanos, shipping_quoted, status, cancel_reason, cancel_message,
	card_last_four, charge_id, tracking_id, carrier, create_ns, update_ns`

// byKey returns the order idempotency key made, or nil when it made none.
func (s *store) byKey(ctx context.Context, q querier, key string) (*keyHit, error) {
	var h keyHit
	var st string
	err := q.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT id, request_hash, status FROM orders WHERE idempotency_key = ?`), key).
		Scan(&h.ID, &h.RequestHash, &st)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up idempotency key: %w", err)
	}
	h.Status = parseStatus(st)
	return &h, nil
}

// place stores a new order o, PENDING, with its items, its saga (first
// step: reserve), its card and an order.placed event, in one transaction.
// When o's idempotency key already made an order, nothing is written and
// that order is returned instead: the check is inside the transaction,
// which holds the database's write lock, so two concurrent calls with one
// key make one order.
func (s *store) place(ctx context.Context, o *order, c card) (*keyHit, error) {
	var hit *keyHit
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if hit, err = s.byKey(ctx, s.db.Q(tx), o.IdempotencyKey); err != nil || hit != nil {
			return err
		}
		if err := s.insertOrder(ctx, tx, o); err != nil {
			return err
		}
		now := millis(o.Created)
		trace := propagation.MapCarrier{}
		s.prop.Inject(ctx, trace)
		if _, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO sagas
			(order_id, step, next_attempt_at, update_ns, traceparent, tracestate) VALUES (?, ?, ?, ?, ?, ?)`,
			o.ID, stepReserve, now, o.Created.UnixNano(), trace.Get("traceparent"), trace.Get("tracestate")); err != nil {
			return fmt.Errorf("insert saga: %w", err)
		}
		if _, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO cards
			(order_id, number, exp_month, exp_year, cvv) VALUES (?, ?, ?, ?, ?)`,
			o.ID, c.Number, c.ExpMonth, c.ExpYear, c.CVV); err != nil {
			return fmt.Errorf("insert card: %w", err)
		}
		if _, err := s.outbox.Add(ctx, tx, eventOrderPlaced, o.ID, orderPlacedEvent(o)); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("place order %s: %w", o.ID, err)
	}
	return hit, nil
}

// insertOrder writes the order row and its items.
func (s *store) insertOrder(ctx context.Context, tx *sql.Tx, o *order) error {
	a := o.Address
	_, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO orders (`+orderColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.IdempotencyKey, o.RequestHash, o.ShopperID, o.UserID, o.Email,
		a.GetName(), a.GetStreet(), a.GetCity(), a.GetPostalCode(), a.GetCountryCode(),
		o.Currency, o.RequestedCurrency, o.Subtotal.GetUnits(), o.Subtotal.GetNanos(),
		o.Shipping.GetUnits(), o.Shipping.GetNanos(), o.Total.GetUnits(), o.Total.GetNanos(),
		o.ShippingQuoted, statusName(o.Status), reasonName(o.CancelReason), o.CancelMessage,
		o.CardLastFour, o.ChargeID, o.TrackingID, o.Carrier, o.Created.UnixNano(), o.Updated.UnixNano())
	if err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	for i, it := range o.Items {
		_, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO order_items
			(order_id, position, product_id, name, quantity, weight_grams, unit_units, unit_nanos, line_units, line_nanos)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.ID, i, it.ProductID, it.Name, it.Quantity, it.WeightGrams,
			it.UnitPrice.GetUnits(), it.UnitPrice.GetNanos(), it.LineTotal.GetUnits(), it.LineTotal.GetNanos())
		if err != nil {
			return fmt.Errorf("insert item %d: %w", i, err)
		}
	}
	return nil
}

// get returns one order with its items.
func (s *store) get(ctx context.Context, q querier, id string) (*order, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT `+orderColumns+` FROM orders WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get order %s: %w", id, errNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get order %s: %w", id, err)
	}
	if err := s.loadItems(ctx, q, []*order{o}); err != nil {
		return nil, fmt.Errorf("get order %s: %w", id, err)
	}
	return o, nil
}

// listParams selects a page of orders, newest first.
type listParams struct {
	UserID    string
	ShopperID string
	// After is the position of the last order of the previous page; nil
	// for the first page.
	After *cursor
	Limit int
}

// cursor is a position in the newest-first listing.
type cursor struct {
	CreateNS int64
	ID       string
}

// list returns up to p.Limit orders after p.After, newest first, and
// whether more follow.
func (s *store) list(ctx context.Context, p listParams) ([]*order, bool, error) {
	var where []string
	var args []any
	if p.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, p.UserID)
	}
	if p.ShopperID != "" {
		where, args = append(where, "shopper_id = ?"), append(args, p.ShopperID)
	}
	if p.After != nil {
		where = append(where, "(create_ns < ? OR (create_ns = ? AND id < ?))")
		args = append(args, p.After.CreateNS, p.After.CreateNS, p.After.ID)
	}
	query := `SELECT ` + orderColumns + ` FROM orders`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY create_ns DESC, id DESC LIMIT ?`
	args = append(args, p.Limit+1)
	rows, err := s.db.QueryContext(ctx, s.db.Dialect.Rebind(query), args...)
	if err != nil {
		return nil, false, fmt.Errorf("list orders: %w", err)
	}
	defer rows.Close()
	var out []*order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, false, fmt.Errorf("list orders: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list orders: %w", err)
	}
	more := len(out) > p.Limit
	if more {
		out = out[:p.Limit]
	}
	if err := s.loadItems(ctx, s.db, out); err != nil {
		return nil, false, fmt.Errorf("list orders: %w", err)
	}
	return out, more, nil
}

// loadItems fills in the items of orders.
func (s *store) loadItems(ctx context.Context, q querier, orders []*order) error {
	if len(orders) == 0 {
		return nil
	}
	byID := make(map[string]*order, len(orders))
	marks := make([]string, len(orders))
	args := make([]any, len(orders))
	for i, o := range orders {
		byID[o.ID], marks[i], args[i] = o, "?", o.ID
	}
	rows, err := q.QueryContext(ctx, s.db.Dialect.Rebind(`SELECT order_id, product_id, name, quantity, weight_grams,
		unit_units, unit_nanos, line_units, line_nanos FROM order_items
		WHERE order_id IN (`+strings.Join(marks, ", ")+`) ORDER BY order_id, position`), args...)
	if err != nil {
		return fmt.Errorf("load items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var orderID string
		var it item
		var uu, lu int64
		var un, ln int32
		if err := rows.Scan(&orderID, &it.ProductID, &it.Name, &it.Quantity, &it.WeightGrams, &uu, &un, &lu, &ln); err != nil {
			return fmt.Errorf("load items: %w", err)
		}
		o := byID[orderID]
		it.UnitPrice = &typesv1.Money{CurrencyCode: o.Currency, Units: uu, Nanos: un}
		it.LineTotal = &typesv1.Money{CurrencyCode: o.Currency, Units: lu, Nanos: ln}
		o.Items = append(o.Items, it)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load items: %w", err)
	}
	return nil
}

// setShipment records an order's tracking id and carrier. Setting them
// again to the same values changes nothing.
func (s *store) setShipment(ctx context.Context, tx *sql.Tx, orderID, trackingID, carrier string) error {
	res, err := s.db.Q(tx).ExecContext(ctx, `UPDATE orders SET tracking_id = ?, carrier = ?, update_ns = ?
		WHERE id = ? AND (tracking_id <> ? OR carrier <> ?)`,
		trackingID, carrier, s.now().UnixNano(), orderID, trackingID, carrier)
	if err != nil {
		return fmt.Errorf("set shipment of order %s: %w", orderID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var one int
	err = s.db.Q(tx).QueryRowContext(ctx, `SELECT 1 FROM orders WHERE id = ?`, orderID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("set shipment of order %s: %w", orderID, errNotFound)
	}
	if err != nil {
		return fmt.Errorf("set shipment of order %s: %w", orderID, err)
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanOrder reads one row of orderColumns (items are loaded apart).
func scanOrder(row scanner) (*order, error) {
	o := &order{Address: &typesv1.Address{}}
	a := o.Address
	var sub, ship, total typesv1.Money
	var st, reason string
	var createNS, updateNS int64
	err := row.Scan(&o.ID, &o.IdempotencyKey, &o.RequestHash, &o.ShopperID, &o.UserID, &o.Email,
		&a.Name, &a.Street, &a.City, &a.PostalCode, &a.CountryCode,
		&o.Currency, &o.RequestedCurrency, &sub.Units, &sub.Nanos, &ship.Units, &ship.Nanos,
		&total.Units, &total.Nanos, &o.ShippingQuoted, &st, &reason, &o.CancelMessage,
		&o.CardLastFour, &o.ChargeID, &o.TrackingID, &o.Carrier, &createNS, &updateNS)
	if err != nil {
		return nil, err
	}
	sub.CurrencyCode, ship.CurrencyCode, total.CurrencyCode = o.Currency, o.Currency, o.Currency
	o.Subtotal, o.Shipping, o.Total = &sub, &ship, &total
	o.Status, o.CancelReason = parseStatus(st), parseReason(reason)
	o.Created, o.Updated = time.Unix(0, createNS).UTC(), time.Unix(0, updateNS).UTC()
	return o, nil
}

// statusName is how a status is stored: "PENDING".
func statusName(st ordersv1.OrderStatus) string {
	return strings.TrimPrefix(st.String(), "ORDER_STATUS_")
}

// parseStatus reads a stored status.
func parseStatus(s string) ordersv1.OrderStatus {
	return ordersv1.OrderStatus(ordersv1.OrderStatus_value["ORDER_STATUS_"+s])
}

// reasonName is how a cancel reason is stored: "OUT_OF_STOCK", or ""
// for none.
func reasonName(r ordersv1.CancelReason) string {
	if r == ordersv1.CancelReason_CANCEL_REASON_UNSPECIFIED {
		return ""
	}
	return strings.TrimPrefix(r.String(), "CANCEL_REASON_")
}

// parseReason reads a stored cancel reason.
func parseReason(s string) ordersv1.CancelReason {
	return ordersv1.CancelReason(ordersv1.CancelReason_value["CANCEL_REASON_"+s])
}
