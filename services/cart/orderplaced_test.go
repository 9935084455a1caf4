package cart

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
)

func envelope(t *testing.T, id string, payload proto.Message) *eventsv1.Envelope {
	t.Helper()
	a, err := anypb.New(payload)
	if err != nil {
		t.Fatal(err)
	}
	return &eventsv1.Envelope{EventId: id, Type: "order.placed", AggregateId: "order-1", Source: "orders", Payload: a}
}

// apply runs the order.placed handler as the consumer would: in one
// transaction with the inbox.
func apply(t *testing.T, f fixture, env *eventsv1.Envelope) (bool, error) {
	t.Helper()
	return events.ApplyOnce(context.Background(), f.svc.store.DB(), OrderPlacedSubscription().Consumer, env, f.svc.onOrderPlaced)
}

// ordered is an order.placed for shopper that bought items (id:qty).
func ordered(shopper string, items map[string]int32) *eventsv1.OrderPlaced {
	p := &eventsv1.OrderPlaced{OrderId: "order-1", ShopperId: shopper}
	for id, q := range items {
		p.Items = append(p.Items, &eventsv1.EventItem{ProductId: id, Quantity: q})
	}
	return p
}

func TestOrderPlacedEmptiesTheCartOnce(t *testing.T) {
	f := start(t)
	f.add(t, "guest-1", "mug", 2, "k1")
	f.add(t, "guest-2", "tea", 1, "k2")
	env := envelope(t, "event-1", ordered("guest-1", map[string]int32{"mug": 2}))
	if applied, err := apply(t, f, env); err != nil || !applied {
		t.Fatalf("first delivery = %v, %v; want applied", applied, err)
	}
	if got := items(f.get(t, "guest-1")); got != "" {
		t.Errorf("cart after order.placed %q, want empty", got)
	}
	if got := items(f.get(t, "guest-2")); got != "tea:1" {
		t.Errorf("another shopper's cart %q, want untouched", got)
	}
	// The shopper fills the cart again; a redelivery must not wipe it.
	f.add(t, "guest-1", "pen", 3, "k3")
	if applied, err := apply(t, f, env); err != nil || applied {
		t.Fatalf("redelivery = %v, %v; want skipped", applied, err)
	}
	if got := items(f.get(t, "guest-1")); got != "pen:3" {
		t.Errorf("cart after a redelivered order.placed %q, want %q", got, "pen:3")
	}
}

// The event arrives asynchronously: what the shopper added after placing
// the order stays in the cart; only what the order took goes.
func TestOrderPlacedKeepsLinesAddedAfterTheOrder(t *testing.T) {
	f := start(t)
	f.add(t, "guest-1", "mug", 2, "k1")
	// The order took the two mugs; before its event arrives the shopper
	// adds a pen and one more mug.
	f.add(t, "guest-1", "pen", 1, "k2")
	f.add(t, "guest-1", "mug", 1, "k3")
	if _, err := apply(t, f, envelope(t, "event-1", ordered("guest-1", map[string]int32{"mug": 2}))); err != nil {
		t.Fatal(err)
	}
	if got := items(f.get(t, "guest-1")); got != "mug:1 pen:1" {
		t.Errorf("cart after a late order.placed %q, want %q", got, "mug:1 pen:1")
	}
}

func TestOrderPlacedPoisonEventsArePermanent(t *testing.T) {
	f := start(t)
	tests := map[string]*eventsv1.Envelope{
		"no shopper": envelope(t, "e-1", &eventsv1.OrderPlaced{OrderId: "order-1"}),
		"wrong type": envelope(t, "e-2", &eventsv1.OrderConfirmed{OrderId: "order-1", ShopperId: "guest-1"}),
		"no payload": {EventId: "e-3", Type: "order.placed"},
	}
	for name, env := range tests {
		_, err := apply(t, f, env)
		if err == nil || !events.IsPermanent(err) {
			t.Errorf("%s: apply = %v, want a permanent error", name, err)
		}
	}
}

// The storefront removes an order's items right after checkout, and the
// order.placed consumer does it again when the event arrives: together
// they remove the items once.
func TestRemoveOrderedItemsOncePerOrder(t *testing.T) {
	f := start(t)
	f.add(t, "guest-1", "mug", 2, "k1")
	f.add(t, "guest-1", "pen", 1, "k2")
	req := &cartv1.RemoveOrderedItemsRequest{ShopperId: "guest-1", OrderId: "order-1",
		Items: []*cartv1.CartItem{{ProductId: "mug", Quantity: 2}, {ProductId: "pen", Quantity: 1}}}
	resp, err := f.client.RemoveOrderedItems(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := items(resp.GetCart()); got != "" {
		t.Fatalf("cart after RemoveOrderedItems %q, want empty", got)
	}
	// The shopper buys again at once; then the first order's event and a
	// retried RPC arrive: neither touches the new lines.
	f.add(t, "guest-1", "mug", 1, "k3")
	if _, err := apply(t, f, envelope(t, "event-1", ordered("guest-1", map[string]int32{"mug": 2, "pen": 1}))); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.RemoveOrderedItems(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := items(f.get(t, "guest-1")); got != "mug:1" {
		t.Errorf("cart after the late event and a retry %q, want %q", got, "mug:1")
	}
}

func TestRemoveOrderedItemsRejectsBadInput(t *testing.T) {
	f := start(t)
	tests := map[string]*cartv1.RemoveOrderedItemsRequest{
		"no shopper":   {OrderId: "o", Items: []*cartv1.CartItem{{ProductId: "mug", Quantity: 1}}},
		"no order":     {ShopperId: "g", Items: []*cartv1.CartItem{{ProductId: "mug", Quantity: 1}}},
		"bad quantity": {ShopperId: "g", OrderId: "o", Items: []*cartv1.CartItem{{ProductId: "mug", Quantity: 0}}},
		"bad product":  {ShopperId: "g", OrderId: "o", Items: []*cartv1.CartItem{{ProductId: "", Quantity: 1}}},
	}
	for name, req := range tests {
		if _, err := f.client.RemoveOrderedItems(context.Background(), req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}
