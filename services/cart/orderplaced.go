package cart

import (
	"context"
	"database/sql"
	"fmt"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/services/cart/store"
)

// OrderPlacedSubscription is what the cart consumes: order.placed from
// orders, to empty the shopper's cart.
func OrderPlacedSubscription() events.Subscription {
	return events.Subscription{Consumer: "cart-orders", Producer: "orders", Types: []string{"order.placed"}}
}

// onOrderPlaced takes what the order bought out of the shopper's cart, in
// the consumer's transaction, which also records the event in the inbox so
// a redelivery is not applied again. Only the ordered quantities go: the
// event arrives asynchronously, and lines the shopper added after placing
// the order must stay. An event without a shopper can never be applied and
// is dropped.
func (s *Service) onOrderPlaced(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) error {
	var placed eventsv1.OrderPlaced
	if err := events.Unpack(env, &placed); err != nil {
		return events.Permanent(err)
	}
	shopper := placed.GetShopperId()
	if err := checkShopperID("shopper_id", shopper); err != nil {
		return events.Permanent(fmt.Errorf("order.placed %s for order %s: %w", env.GetEventId(), placed.GetOrderId(), err))
	}
	items := make([]store.Ordered, 0, len(placed.GetItems()))
	for _, it := range placed.GetItems() {
		items = append(items, store.Ordered{ProductID: it.GetProductId(), Quantity: it.GetQuantity()})
	}
	if err := s.store.RemoveOrderedTx(ctx, tx, shopper, placed.GetOrderId(), items, s.now()); err != nil {
		return fmt.Errorf("order.placed for order %s: %w", placed.GetOrderId(), err)
	}
	s.logger.InfoContext(ctx, "ordered items removed from cart", "order_id", placed.GetOrderId(), "shopper_id", shopper, "lines", len(items))
	return nil
}
