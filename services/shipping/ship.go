package shipping

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
)

// Event types shipping publishes and reads.
const (
	// TypeShipmentCreated is published once per shipment.
	TypeShipmentCreated = "shipment.created"
	// TypeOrderConfirmed is the orders event that ships an order.
	TypeOrderConfirmed = "order.confirmed"
)

// trackingAttempts bounds the draws of a free tracking id; with 10^10
// ids a second draw is already rare.
const trackingAttempts = 10

// outbox stores events in the caller's transaction; an *events.Outbox.
type outbox interface {
	Add(ctx context.Context, tx *sql.Tx, typ, aggregateID string, payload proto.Message) (string, error)
}

// shipper creates shipments: the one operation behind CreateShipment and
// the order.confirmed consumer.
type shipper struct {
	store  *store
	outbox outbox
	now    func() time.Time
	// trackingID draws a candidate tracking id.
	trackingID func() string
}

// randomTrackingID is "BZ" and 10 random digits. Uniqueness comes from
// the check against the database in ship, not from the draw.
func randomTrackingID() string {
	return fmt.Sprintf("BZ%010d", rand.Int64N(10_000_000_000))
}

// ship returns the shipment of n.OrderID, creating it in tx together
// with its shipment.created event when the order has none yet; created
// reports whether it did. A later call for the same order returns the
// first shipment, whatever the rest of n says.
func (sp *shipper) ship(ctx context.Context, tx *sql.Tx, n newShipment) (sh shipment, created bool, err error) {
	sh, err = sp.store.byOrder(ctx, tx, n.OrderID)
	switch {
	case err == nil:
		return sh, false, nil
	case !errors.Is(err, errNotFound):
		return shipment{}, false, fmt.Errorf("ship order %s: %w", n.OrderID, err)
	}
	q, err := quoteFor(n.Address.CountryCode, n.WeightGrams)
	if err != nil {
		return shipment{}, false, fmt.Errorf("ship order %s: %w", n.OrderID, err)
	}
	tracking, err := sp.freeTrackingID(ctx, tx)
	if err != nil {
		return shipment{}, false, fmt.Errorf("ship order %s: %w", n.OrderID, err)
	}
	now := sp.now().UTC()
	sh = shipment{
		ID: uuid.NewString(), OrderID: n.OrderID, TrackingID: tracking, Carrier: Carrier,
		Status: shippingv1.ShipmentStatus_SHIPMENT_STATUS_LABEL_CREATED, Address: n.Address, Items: n.Items,
		Email: n.Email, WeightGrams: n.WeightGrams, EstimatedDays: q.EstimatedDays, CreateTime: now, UpdateTime: now,
	}
	first := trackingEvent{Status: sh.Status, Description: "Shipping label created; waiting for " + Carrier + " to pick the parcel up", OccurTime: now}
	if err := sp.store.insert(ctx, tx, sh, first); err != nil {
		return shipment{}, false, fmt.Errorf("ship order %s: %w", n.OrderID, err)
	}
	_, err = sp.outbox.Add(ctx, tx, TypeShipmentCreated, sh.OrderID, &eventsv1.ShipmentCreated{
		OrderId: sh.OrderID, ShipmentId: sh.ID, TrackingId: sh.TrackingID, Carrier: sh.Carrier,
		Email: sh.Email, EstimatedDays: sh.EstimatedDays,
	})
	if err != nil {
		return shipment{}, false, fmt.Errorf("ship order %s: %w", n.OrderID, err)
	}
	return sh, true, nil
}

// freeTrackingID draws tracking ids until one is unused.
func (sp *shipper) freeTrackingID(ctx context.Context, tx *sql.Tx) (string, error) {
	for range trackingAttempts {
		id := sp.trackingID()
		taken, err := sp.store.trackingTaken(ctx, tx, id)
		if err != nil {
			return "", err
		}
		if !taken {
			return id, nil
		}
	}
	return "", fmt.Errorf("no free tracking id after %d draws", trackingAttempts)
}
