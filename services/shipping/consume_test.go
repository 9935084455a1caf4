package shipping

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
)

// envelope wraps payload as the orders service would.
func envelope(t *testing.T, eventID, typ, aggregateID string, payload proto.Message) *eventsv1.Envelope {
	t.Helper()
	a, err := anypb.New(payload)
	if err != nil {
		t.Fatalf("pack: %v", err)
	}
	return &eventsv1.Envelope{EventId: eventID, Type: typ, AggregateId: aggregateID, Source: "orders", Payload: a}
}

func confirmed(orderID string) *eventsv1.OrderConfirmed {
	return &eventsv1.OrderConfirmed{
		OrderId: orderID, ShopperId: "s-1", Email: "ada@example.com", ShippingAddress: berlin(), ChargeId: "ch-1",
		Total: &typesv1.Money{CurrencyCode: "USD", Units: 30},
		Items: []*eventsv1.EventItem{
			{ProductId: "mug", Quantity: 2, WeightGrams: 350, Name: "Mug"},
			{ProductId: "kettle", Quantity: 1, WeightGrams: 800},
		},
	}
}

func TestOrderConfirmedShipsOnce(t *testing.T) {
	svc := newTestService(t)
	ctx := context.Background()
	sub := ordersSubscription()
	env := envelope(t, "ev-1", TypeOrderConfirmed, "order-1", confirmed("order-1"))

	applied, err := events.ApplyOnce(ctx, svc.store.db, sub.Consumer, env, svc.shipper.onOrderConfirmed)
	if err != nil || !applied {
		t.Fatalf("first delivery: applied=%v err=%v", applied, err)
	}
	applied, err = events.ApplyOnce(ctx, svc.store.db, sub.Consumer, env, svc.shipper.onOrderConfirmed)
	if err != nil || applied {
		t.Fatalf("redelivery: applied=%v err=%v, want a skipped duplicate", applied, err)
	}
	// A republish of the same order under a new event id.
	again := envelope(t, "ev-2", TypeOrderConfirmed, "order-1", confirmed("order-1"))
	if _, err := events.ApplyOnce(ctx, svc.store.db, sub.Consumer, again, svc.shipper.onOrderConfirmed); err != nil {
		t.Fatalf("republish: %v", err)
	}

	if n := count(t, svc.store.db.DB, `SELECT COUNT(*) FROM shipments`); n != 1 {
		t.Fatalf("%d shipments, want 1", n)
	}
	sh, err := svc.store.byOrder(ctx, svc.store.db, "order-1")
	if err != nil {
		t.Fatalf("byOrder: %v", err)
	}
	if sh.WeightGrams != 1500 || sh.Email != "ada@example.com" || sh.Address.CountryCode != "DE" || len(sh.Items) != 2 || sh.EstimatedDays != 7 {
		t.Errorf("shipment = %+v", sh)
	}
	rows := outboxRows(t, svc)
	if len(rows) != 1 || rows[0].Env.GetType() != TypeShipmentCreated {
		t.Fatalf("outbox = %v, want one shipment.created", rows)
	}
}

func TestOrderConfirmedPoisonIsPermanent(t *testing.T) {
	svc := newTestService(t)
	noAddress := confirmed("order-2")
	noAddress.ShippingAddress = nil
	unserved := confirmed("order-3")
	unserved.ShippingAddress.CountryCode = "AQ"
	tests := []struct {
		name string
		env  *eventsv1.Envelope
	}{
		{"wrong payload type", envelope(t, "ev-1", TypeOrderConfirmed, "order-1", &eventsv1.OrderPlaced{OrderId: "order-1"})},
		{"no payload", &eventsv1.Envelope{EventId: "ev-0", Type: TypeOrderConfirmed}},
		{"no address", envelope(t, "ev-2", TypeOrderConfirmed, "order-2", noAddress)},
		{"unserved country", envelope(t, "ev-3", TypeOrderConfirmed, "order-3", unserved)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := events.ApplyOnce(context.Background(), svc.store.db, "shipping-orders", tt.env, svc.shipper.onOrderConfirmed)
			if !events.IsPermanent(err) {
				t.Fatalf("error = %v, want a permanent error", err)
			}
		})
	}
	if n := count(t, svc.store.db.DB, `SELECT COUNT(*) FROM shipments`); n != 0 {
		t.Fatalf("%d shipments, want none", n)
	}
}
