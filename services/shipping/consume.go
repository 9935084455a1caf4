package shipping

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
)

// ordersSubscription is what shipping reads from orders: each confirmed
// order is shipped once.
func ordersSubscription() events.Subscription {
	return events.Subscription{Consumer: "shipping-orders", Producer: "orders", Types: []string{TypeOrderConfirmed}}
}

// onOrderConfirmed ships a confirmed order in tx, writing shipment.created
// to the outbox in the same transaction. The inbox makes a redelivered
// event a no-op; the order id makes a republished one (a new event id for
// the same order) return the existing shipment without a second event.
// An event that can never be shipped (malformed, or to a country shipping
// does not serve) is dropped as permanent.
func (sp *shipper) onOrderConfirmed(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) error {
	var ev eventsv1.OrderConfirmed
	if err := events.Unpack(env, &ev); err != nil {
		return events.Permanent(err)
	}
	items := make([]*shippingv1.ShippingItem, 0, len(ev.GetItems()))
	for _, it := range ev.GetItems() {
		items = append(items, &shippingv1.ShippingItem{ProductId: it.GetProductId(), Quantity: it.GetQuantity(), WeightGrams: it.GetWeightGrams()})
	}
	n, err := checkCreate(ev.GetOrderId(), ev.GetShippingAddress(), items, ev.GetEmail())
	if err != nil {
		return events.Permanent(fmt.Errorf("ship confirmed order %q: %w", ev.GetOrderId(), err))
	}
	_, _, err = sp.ship(ctx, tx, n)
	if errors.Is(err, errNotServed) {
		return events.Permanent(err)
	}
	return err
}
