package cart

import (
	"context"
	"database/sql"
	"fmt"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
)

// OrderPlacedSubscription is what the cart consumes: order.placed from
// orders, to empty the shopper's cart.
func OrderPlacedSubscription() events.Subscription {
	return events.Subscription{Consumer: "cart-orders", Producer: "orders", Types: []string{"order.placed"}}
}

// onOrderPlaced empties the cart of the order's shopper, in the
// consumer's transaction, which also records the event in the inbox so a
// redelivery is not applied again (it would wipe lines added since). An
// event without a shopper can never be applied and is dropped.
func (s *Service) onOrderPlaced(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) error {
	var placed eventsv1.OrderPlaced
	if err := events.Unpack(env, &placed); err != nil {
		return events.Permanent(err)
	}
	shopper := placed.GetShopperId()
	if err := checkShopperID("shopper_id", shopper); err != nil {
		return events.Permanent(fmt.Errorf("order.placed %s for order %s: %w", env.GetEventId(), placed.GetOrderId(), err))
	}
	if err := s.store.EmptyTx(ctx, tx, shopper, s.now()); err != nil {
		return fmt.Errorf("order.placed for order %s: %w", placed.GetOrderId(), err)
	}
	s.logger.InfoContext(ctx, "cart emptied: order placed", "order_id", placed.GetOrderId(), "shopper_id", shopper)
	return nil
}
