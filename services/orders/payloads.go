package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
)

// The event types orders publishes and consumes.
const (
	eventOrderPlaced     = "order.placed"
	eventOrderConfirmed  = "order.confirmed"
	eventOrderCancelled  = "order.cancelled"
	eventShipmentCreated = "shipment.created"
)

// shipmentSubscription is what orders reads from shipping: each order's
// shipment.created, to show its tracking id.
func shipmentSubscription() events.Subscription {
	return events.Subscription{
		Consumer: "orders-shipping",
		Producer: "shipping",
		Types:    []string{eventShipmentCreated},
	}
}

// eventItems is o's items as events carry them.
func eventItems(o *order) []*eventsv1.EventItem {
	out := make([]*eventsv1.EventItem, len(o.Items))
	for i, it := range o.Items {
		out[i] = &eventsv1.EventItem{
			ProductId:   it.ProductID,
			Quantity:    it.Quantity,
			UnitPrice:   it.UnitPrice,
			Name:        it.Name,
			WeightGrams: it.WeightGrams,
		}
	}
	return out
}

// orderPlacedEvent is the payload of order.placed.
func orderPlacedEvent(o *order) *eventsv1.OrderPlaced {
	return &eventsv1.OrderPlaced{
		OrderId:         o.ID,
		ShopperId:       o.ShopperID,
		UserId:          o.UserID,
		Email:           o.Email,
		ShippingAddress: o.Address,
		Items:           eventItems(o),
		Subtotal:        o.Subtotal,
		ShippingCost:    o.Shipping,
		Total:           o.Total,
	}
}

// orderConfirmedEvent is the payload of order.confirmed.
func orderConfirmedEvent(o *order) *eventsv1.OrderConfirmed {
	return &eventsv1.OrderConfirmed{
		OrderId:         o.ID,
		ShopperId:       o.ShopperID,
		UserId:          o.UserID,
		Email:           o.Email,
		ShippingAddress: o.Address,
		Items:           eventItems(o),
		Total:           o.Total,
		ChargeId:        o.ChargeID,
	}
}

// orderCancelledEvent is the payload of order.cancelled.
func orderCancelledEvent(o *order) *eventsv1.OrderCancelled {
	return &eventsv1.OrderCancelled{
		OrderId:   o.ID,
		ShopperId: o.ShopperID,
		UserId:    o.UserID,
		Email:     o.Email,
		Reason:    o.CancelReason,
		Message:   o.CancelMessage,
	}
}

// onShipmentCreated records a shipment's tracking id and carrier on its
// order. Applying it twice leaves the same state; an event naming no
// order of this service is dropped.
func (s *store) onShipmentCreated(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) error {
	var ev eventsv1.ShipmentCreated
	if err := events.Unpack(env, &ev); err != nil {
		return events.Permanent(err)
	}
	if ev.GetOrderId() == "" || ev.GetTrackingId() == "" {
		return events.Permanent(fmt.Errorf("shipment.created %s: missing order or tracking id", env.GetEventId()))
	}
	err := s.setShipment(ctx, tx, ev.GetOrderId(), ev.GetTrackingId(), ev.GetCarrier())
	if errors.Is(err, errNotFound) {
		return events.Permanent(err)
	}
	return err
}
