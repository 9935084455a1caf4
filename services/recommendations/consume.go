package recommendations

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
)

// TypeOrderConfirmed is the orders event recommendations learns from.
const TypeOrderConfirmed = "order.confirmed"

// ordersSubscription is what recommendations reads from orders.
func ordersSubscription() events.Subscription {
	return events.Subscription{Consumer: "recommendations-orders", Producer: "orders", Types: []string{TypeOrderConfirmed}}
}

// counter learns co-purchases from confirmed orders.
type counter struct {
	store *store
	now   func() time.Time
}

// onOrderConfirmed counts a confirmed order's products in tx. The inbox
// skips a redelivered event; counted_orders skips the same order
// published again under a new event id. An event without an order id or
// of another payload is dropped as permanent.
func (c *counter) onOrderConfirmed(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) error {
	var ev eventsv1.OrderConfirmed
	if err := events.Unpack(env, &ev); err != nil {
		return events.Permanent(err)
	}
	orderID := ev.GetOrderId()
	if strings.TrimSpace(orderID) == "" {
		return events.Permanent(fmt.Errorf("order.confirmed event %s has no order id", env.GetEventId()))
	}
	products := make([]string, 0, len(ev.GetItems()))
	for _, it := range ev.GetItems() {
		products = append(products, it.GetProductId())
	}
	_, err := c.store.record(ctx, tx, orderID, products, c.now())
	return err
}
