package shipping

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// migrations holds the schema, applied by storage.Open.
//
//go:embed migrations/*.sql
var migrations embed.FS

// errNotFound marks a shipment that does not exist.
var errNotFound = errors.New("shipment not found")

// shipment is one order's parcel as stored.
type shipment struct {
	ID, OrderID, TrackingID, Carrier string
	Status                           shippingv1.ShipmentStatus
	Address                          address
	Items                            []item
	Email                            string
	WeightGrams                      int64
	EstimatedDays                    int32
	CreateTime, UpdateTime           time.Time
}

// trackingEvent is one step of a parcel's journey.
type trackingEvent struct {
	Status      shippingv1.ShipmentStatus
	Description string
	OccurTime   time.Time
}

// querier is a *sql.Tx or the database itself.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// store keeps shipments in the service's own database.
type store struct {
	db *storage.DB
}

// openStore opens (creating and migrating when needed) the database at
// dsn, with opts and the events tables.
func openStore(ctx context.Context, dsn string, opts ...storage.Option) (*store, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open shipping store: %w", err)
	}
	db, err := events.Open(ctx, dsn, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("open shipping store: %w", err)
	}
	return &store{db: db}, nil
}

// close closes the database.
func (s *store) close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close shipping store: %w", err)
	}
	return nil
}

// ping reports whether the database answers.
func (s *store) ping(ctx context.Context) error {
	return s.db.Ping(ctx)
}

// selectShipments is the column list scanShipment reads.
const selectShipments = `SELECT id, order_id, tracking_id, carrier, status, name, street, city, postal_code,
	country_code, email, total_weight_grams, estimated_days, create_time, update_time FROM shipments`

// shipmentWhere returns the one shipment matching column = value (the
// column is a constant of this file), wrapping errNotFound when none does.
func (s *store) shipmentWhere(ctx context.Context, q querier, column, value string) (shipment, error) {
	sh, err := scanShipment(q.QueryRowContext(ctx, s.db.Dialect.Rebind(selectShipments+` WHERE `+column+` = ?`), value))
	if errors.Is(err, sql.ErrNoRows) {
		return shipment{}, fmt.Errorf("%w: %s %s", errNotFound, column, value)
	}
	if err != nil {
		return shipment{}, fmt.Errorf("get shipment by %s %s: %w", column, value, err)
	}
	if sh.Items, err = s.items(ctx, q, sh.ID); err != nil {
		return shipment{}, err
	}
	return sh, nil
}

// byID returns the shipment with id.
func (s *store) byID(ctx context.Context, q querier, id string) (shipment, error) {
	return s.shipmentWhere(ctx, q, "id", id)
}

// byOrder returns the shipment of orderID.
func (s *store) byOrder(ctx context.Context, q querier, orderID string) (shipment, error) {
	return s.shipmentWhere(ctx, q, "order_id", orderID)
}

// byTracking returns the shipment with trackingID.
func (s *store) byTracking(ctx context.Context, q querier, trackingID string) (shipment, error) {
	return s.shipmentWhere(ctx, q, "tracking_id", trackingID)
}

// trackingTaken reports whether a shipment already has trackingID.
func (s *store) trackingTaken(ctx context.Context, q querier, trackingID string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT 1 FROM shipments WHERE tracking_id = ?`), trackingID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("check tracking id %s: %w", trackingID, err)
	}
	return true, nil
}

// items returns a shipment's items in order.
func (s *store) items(ctx context.Context, q querier, shipmentID string) ([]item, error) {
	rows, err := q.QueryContext(ctx, s.db.Dialect.Rebind(
		`SELECT product_id, quantity, weight_grams FROM shipment_items WHERE shipment_id = ? ORDER BY position`), shipmentID)
	if err != nil {
		return nil, fmt.Errorf("list items of shipment %s: %w", shipmentID, err)
	}
	defer rows.Close()
	var out []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.ProductID, &it.Quantity, &it.WeightGrams); err != nil {
			return nil, fmt.Errorf("list items of shipment %s: %w", shipmentID, err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list items of shipment %s: %w", shipmentID, err)
	}
	return out, nil
}

// insert stores a new shipment, its items and its first tracking event.
func (s *store) insert(ctx context.Context, q querier, sh shipment, first trackingEvent) error {
	a := sh.Address
	_, err := q.ExecContext(ctx, s.db.Dialect.Rebind(`INSERT INTO shipments
		(id, order_id, tracking_id, carrier, status, name, street, city, postal_code, country_code,
		 email, total_weight_grams, estimated_days, create_time, update_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		sh.ID, sh.OrderID, sh.TrackingID, sh.Carrier, int32(sh.Status), a.Name, a.Street, a.City, a.PostalCode, a.CountryCode,
		sh.Email, sh.WeightGrams, sh.EstimatedDays, formatTime(sh.CreateTime), formatTime(sh.UpdateTime))
	if err != nil {
		return fmt.Errorf("insert shipment of order %s: %w", sh.OrderID, err)
	}
	for i, it := range sh.Items {
		_, err := q.ExecContext(ctx, s.db.Dialect.Rebind(
			`INSERT INTO shipment_items (shipment_id, position, product_id, quantity, weight_grams) VALUES (?, ?, ?, ?, ?)`),
			sh.ID, i, it.ProductID, it.Quantity, it.WeightGrams)
		if err != nil {
			return fmt.Errorf("insert item %d of shipment %s: %w", i, sh.ID, err)
		}
	}
	return s.addTracking(ctx, q, sh.ID, first)
}

// addTracking appends a step to a shipment's journey.
func (s *store) addTracking(ctx context.Context, q querier, shipmentID string, ev trackingEvent) error {
	_, err := q.ExecContext(ctx, s.db.Dialect.Rebind(`INSERT INTO tracking_events (shipment_id, seq, status, description, occur_time)
		VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM tracking_events WHERE shipment_id = ?), ?, ?, ?)`),
		shipmentID, shipmentID, int32(ev.Status), ev.Description, formatTime(ev.OccurTime))
	if err != nil {
		return fmt.Errorf("add tracking event to shipment %s: %w", shipmentID, err)
	}
	return nil
}

// tracking returns a shipment's journey, oldest first.
func (s *store) tracking(ctx context.Context, q querier, shipmentID string) ([]trackingEvent, error) {
	rows, err := q.QueryContext(ctx, s.db.Dialect.Rebind(
		`SELECT status, description, occur_time FROM tracking_events WHERE shipment_id = ? ORDER BY seq`), shipmentID)
	if err != nil {
		return nil, fmt.Errorf("list tracking of shipment %s: %w", shipmentID, err)
	}
	defer rows.Close()
	var out []trackingEvent
	for rows.Next() {
		var ev trackingEvent
		var status int32
		var at string
		if err := rows.Scan(&status, &ev.Description, &at); err != nil {
			return nil, fmt.Errorf("list tracking of shipment %s: %w", shipmentID, err)
		}
		ev.Status = shippingv1.ShipmentStatus(status)
		if ev.OccurTime, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("list tracking of shipment %s: %w", shipmentID, err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tracking of shipment %s: %w", shipmentID, err)
	}
	return out, nil
}

// scanShipment reads one row of selectShipments (without items).
func scanShipment(row *sql.Row) (shipment, error) {
	var sh shipment
	var status int32
	var created, updated string
	a := &sh.Address
	err := row.Scan(&sh.ID, &sh.OrderID, &sh.TrackingID, &sh.Carrier, &status, &a.Name, &a.Street, &a.City, &a.PostalCode,
		&a.CountryCode, &sh.Email, &sh.WeightGrams, &sh.EstimatedDays, &created, &updated)
	if err != nil {
		return shipment{}, err
	}
	sh.Status = shippingv1.ShipmentStatus(status)
	if sh.CreateTime, err = parseTime(created); err != nil {
		return shipment{}, err
	}
	if sh.UpdateTime, err = parseTime(updated); err != nil {
		return shipment{}, err
	}
	return sh, nil
}

// formatTime writes t as stored: RFC 3339 with nanoseconds, in UTC.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// parseTime reads a stored time.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}
