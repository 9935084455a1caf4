package notifications

import (
	"testing"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

func eur(units int64, nanos int32) *typesv1.Money {
	return &typesv1.Money{CurrencyCode: "EUR", Units: units, Nanos: nanos}
}

func berlin() *typesv1.Address {
	return &typesv1.Address{Name: "Ada Lovelace", Street: "Unter den Linden 1", City: "Berlin", PostalCode: "10117", CountryCode: "DE"}
}

func orderItems() []*eventsv1.EventItem {
	return []*eventsv1.EventItem{
		{ProductId: "espresso-cup", Name: "Espresso cup", Quantity: 2, UnitPrice: eur(12, 500_000_000)},
		{ProductId: "kettle", Name: "Kettle", Quantity: 1, UnitPrice: eur(1000, 0)},
		{ProductId: "gift-wrap", Quantity: 1},
	}
}

func TestRenderGolden(t *testing.T) {
	r, err := newRenderer()
	if err != nil {
		t.Fatalf("newRenderer: %v", err)
	}
	tests := []struct {
		name        string
		kind        notificationsv1.MessageKind
		view        view
		wantSubject string
		wantBody    string
	}{
		{
			name: "order placed",
			kind: notificationsv1.MessageKind_MESSAGE_KIND_ORDER_PLACED,
			view: placedView(&eventsv1.OrderPlaced{
				OrderId: "ord-42", Email: "ada@example.com", ShippingAddress: berlin(), Items: orderItems(),
				Subtotal: eur(1025, 0), ShippingCost: eur(15, 0), Total: eur(1040, 0),
			}),
			wantSubject: "We received your order ord-42",
			wantBody: `Hello Ada Lovelace,

Thank you for shopping at Bazaar. We received your order ord-42
and are now reserving your items and charging your card.

Items:
  2 x Espresso cup  €12.50 each  €25.00
  1 x Kettle  €1,000.00 each  €1,000.00
  1 x gift-wrap

Subtotal: €1,025.00
Shipping: €15.00
Total:    €1,040.00

Shipping to:
  Ada Lovelace
  Unter den Linden 1
  10117 Berlin
  DE

We will write again when your order is confirmed.

-- 
Bazaar`,
		},
		{
			name: "order confirmed, yen total",
			kind: notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CONFIRMED,
			view: confirmedView(&eventsv1.OrderConfirmed{
				OrderId: "ord-42", ShippingAddress: berlin(),
				Items: []*eventsv1.EventItem{{ProductId: "tea", Name: "Green tea", Quantity: 3, UnitPrice: &typesv1.Money{CurrencyCode: "JPY", Units: 504}}},
				Total: &typesv1.Money{CurrencyCode: "JPY", Units: 1512},
			}),
			wantSubject: "Your order ord-42 is confirmed",
			wantBody: `Hello Ada Lovelace,

Good news: your order ord-42 is confirmed. Your items are set
aside for you and your card was charged.

Items:
  3 x Green tea  ¥504 each  ¥1,512

Total charged: ¥1,512

Shipping to:
  Ada Lovelace
  Unter den Linden 1
  10117 Berlin
  DE

We will write again when your parcel is on its way.

-- 
Bazaar`,
		},
		{
			name:        "order cancelled with the shopper's message",
			kind:        notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CANCELLED,
			view:        cancelledView(&eventsv1.OrderCancelled{OrderId: "ord-42", Reason: ordersv1.CancelReason_CANCEL_REASON_PAYMENT_DECLINED, Message: "Your card was declined."}),
			wantSubject: "Your order ord-42 was cancelled",
			wantBody: `Hello,

We are sorry: your order ord-42 was cancelled.
Reason: Your card was declined.

Any stock held for you was released, and any payment taken for this
order has been refunded.

-- 
Bazaar`,
		},
		{
			name:        "order cancelled, reason only",
			kind:        notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CANCELLED,
			view:        cancelledView(&eventsv1.OrderCancelled{OrderId: "ord-43", Reason: ordersv1.CancelReason_CANCEL_REASON_OUT_OF_STOCK}),
			wantSubject: "Your order ord-43 was cancelled",
			wantBody: `Hello,

We are sorry: your order ord-43 was cancelled.
Reason: Some items were out of stock.

Any stock held for you was released, and any payment taken for this
order has been refunded.

-- 
Bazaar`,
		},
		{
			name:        "shipment created",
			kind:        notificationsv1.MessageKind_MESSAGE_KIND_SHIPMENT_CREATED,
			view:        shipmentView(&eventsv1.ShipmentCreated{OrderId: "ord-42", ShipmentId: "sh-1", TrackingId: "BZ0123456789", Carrier: "Bazaar Post", EstimatedDays: 7}),
			wantSubject: "Your order ord-42 is on its way",
			wantBody: `Hello,

Your order ord-42 has shipped.

Carrier:     Bazaar Post
Tracking id: BZ0123456789
Estimated delivery: 7 business days

-- 
Bazaar`,
		},
		{
			name:        "shipment created, one day, hostile order id",
			kind:        notificationsv1.MessageKind_MESSAGE_KIND_SHIPMENT_CREATED,
			view:        shipmentView(&eventsv1.ShipmentCreated{OrderId: "ord-1\r\nBcc: eve@example.com", TrackingId: "BZ0000000001", Carrier: "Bazaar Post", EstimatedDays: 1}),
			wantSubject: "Your order ord-1  Bcc: eve@example.com is on its way",
			wantBody: `Hello,

Your order ord-1  Bcc: eve@example.com has shipped.

Carrier:     Bazaar Post
Tracking id: BZ0000000001
Estimated delivery: 1 business day

-- 
Bazaar`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.render(tt.kind, tt.view)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if got.Subject != tt.wantSubject {
				t.Errorf("subject = %q, want %q", got.Subject, tt.wantSubject)
			}
			if got.Body != tt.wantBody {
				t.Errorf("body =\n%s\n--- want ---\n%s", got.Body, tt.wantBody)
			}
		})
	}
}

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		m    *typesv1.Money
		want string
	}{
		{&typesv1.Money{CurrencyCode: "USD", Units: 1234, Nanos: 500_000_000}, "$1,234.50"},
		{&typesv1.Money{CurrencyCode: "JPY", Units: 1512}, "¥1,512"},
		{&typesv1.Money{CurrencyCode: "CHF", Units: 12}, "CHF 12.00"},
		{&typesv1.Money{CurrencyCode: "NOK", Units: 99, Nanos: 900_000_000}, "NOK 99.90"},
		{&typesv1.Money{CurrencyCode: "usd", Units: 1}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := formatMoney(tt.m); got != tt.want {
			t.Errorf("formatMoney(%v) = %q, want %q", tt.m, got, tt.want)
		}
	}
}
