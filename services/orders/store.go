package orders

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"go.opentelemetry.io/otel/propagation"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// migrations holds the schema, applied by storage.Open.
//
//go:embed migrations/*.sql
var migrations embed.FS

// errNotFound marks an order that does not exist.
var errNotFound = errors.New("order not found")

// errLeaseLost marks a saga write refused because this runner no longer
// holds the saga (its lease ran out and another runner took it, or the
// step moved on): the other runner carries on, this one stops.
var errLeaseLost = errors.New("saga lease lost")

// order is an order as stored.
type order struct {
	ID             string
	IdempotencyKey string
	RequestHash    string
	ShopperID      string
	UserID         string
	Email          string
	Address        *typesv1.Address
	Items          []item
	// Currency is the currency of every amount; RequestedCurrency what the
	// shopper asked for (they differ when pricing was down).
	Currency          string
	RequestedCurrency string
	Subtotal          *typesv1.Money
	Shipping          *typesv1.Money
	Total             *typesv1.Money
	ShippingQuoted    bool
	Status            ordersv1.OrderStatus
	CancelReason      ordersv1.CancelReason
	CancelMessage     string
	CardLastFour      string
	ChargeID          string
	TrackingID        string
	Carrier           string
	Created           time.Time
	Updated           time.Time
}

// item is one line of an order.
type item struct {
	ProductID   string
	Name        string
	Quantity    int32
	WeightGrams int32
	UnitPrice   *typesv1.Money
	LineTotal   *typesv1.Money
}

// card is the card an order is charged with.
type card struct {
	Number   string // digits only
	ExpMonth int32
	ExpYear  int32
	CVV      string
}

// store keeps orders, their sagas and cards in the service's database.
type store struct {
	db     *storage.DB
	outbox *events.Outbox
	// prop writes the checkout's trace context into the saga row.
	prop propagation.TextMapPropagator
	// lease is how long a claimed saga stays with its runner.
	lease time.Duration
	now   func() time.Time
}

// openStore opens (creating and migrating when needed) the database at
// dsn, with opts and the events tables.
func openStore(ctx context.Context, dsn string, tel events.Telemetry, lease time.Duration, now func() time.Time, opts ...storage.Option) (*store, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open orders store: %w", err)
	}
	db, err := events.Open(ctx, dsn, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("open orders store: %w", err)
	}
	prop := tel.Propagator
	if prop == nil {
		prop = propagation.TraceContext{}
	}
	return &store{db: db, outbox: events.NewOutbox(db, serviceName, tel), prop: prop, lease: lease, now: now}, nil
}

// close closes the database.
func (s *store) close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close orders store: %w", err)
	}
	return nil
}

// ping reports whether the database answers.
func (s *store) ping(ctx context.Context) error {
	return s.db.Ping(ctx)
}

// millis is t in Unix milliseconds, the unit of the saga's schedule.
func millis(t time.Time) int64 { return t.UnixMilli() }
