package notifications

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

func TestEachEventMakesOneMessage(t *testing.T) {
	storagetest.Run(t, testEachEventMakesOneMessage)
}

func testEachEventMakesOneMessage(t *testing.T, engine string) {
	svc := newTestService(t, engine, Config{Now: ticking(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))})
	tests := []struct {
		env         *eventsv1.Envelope
		wantKind    notificationsv1.MessageKind
		wantTo      string
		wantSubject string
		wantInBody  string
	}{
		{envelope(t, "ev-1", TypeOrderPlaced, placed("ord-1", "Ada@Example.com")), notificationsv1.MessageKind_MESSAGE_KIND_ORDER_PLACED,
			"ada@example.com", "We received your order ord-1", "Total:    €1,040.00"},
		{envelope(t, "ev-2", TypeOrderConfirmed, confirmed("ord-1", "ada@example.com")), notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CONFIRMED,
			"ada@example.com", "Your order ord-1 is confirmed", "Total charged: €1,040.00"},
		{envelope(t, "ev-3", TypeShipmentCreated, &eventsv1.ShipmentCreated{OrderId: "ord-1", Email: "ada@example.com", TrackingId: "BZ0000000007", Carrier: "Bazaar Post", EstimatedDays: 3}),
			notificationsv1.MessageKind_MESSAGE_KIND_SHIPMENT_CREATED, "ada@example.com", "Your order ord-1 is on its way", "Tracking id: BZ0000000007"},
		{envelope(t, "ev-4", TypeOrderCancelled, &eventsv1.OrderCancelled{OrderId: "ord-2", Email: "bob@example.com", Message: "Out of stock: kettle."}),
			notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CANCELLED, "bob@example.com", "Your order ord-2 was cancelled", "Reason: Out of stock: kettle."},
	}
	for _, tt := range tests {
		for delivery := 1; delivery <= 2; delivery++ {
			applied, err := apply(t, svc, tt.env)
			if err != nil || applied != (delivery == 1) {
				t.Fatalf("%s delivery %d: applied=%v err=%v", tt.env.GetEventId(), delivery, applied, err)
			}
		}
	}
	ms := allMessages(t, svc)
	if len(ms) != len(tests) {
		t.Fatalf("mailbox holds %d messages, want %d", len(ms), len(tests))
	}
	for i, tt := range tests {
		m := ms[len(ms)-1-i] // newest first
		if m.Kind != tt.wantKind || m.To != tt.wantTo || m.Subject != tt.wantSubject || !strings.Contains(m.Body, tt.wantInBody) || m.EventID != tt.env.GetEventId() {
			t.Errorf("message %d = %+v, want kind %v to %s subject %q with %q", i, m, tt.wantKind, tt.wantTo, tt.wantSubject, tt.wantInBody)
		}
	}
}

func TestSameFactUnderNewEventIDSendsNothing(t *testing.T) {
	storagetest.Run(t, testSameFactUnderNewEventIDSendsNothing)
}

func testSameFactUnderNewEventIDSendsNothing(t *testing.T, engine string) {
	svc := newTestService(t, engine, Config{})
	mustApply(t, svc, envelope(t, "ev-1", TypeOrderConfirmed, confirmed("ord-1", "ada@example.com")))
	// The orders service publishes the same confirmation again under a new
	// event id: the inbox cannot tell, UNIQUE (order_id, kind) can.
	applied, err := apply(t, svc, envelope(t, "ev-9", TypeOrderConfirmed, confirmed("ord-1", "other@example.com")))
	if err != nil || !applied {
		t.Fatalf("republished event: applied=%v err=%v, want applied as a no-op", applied, err)
	}
	ms := allMessages(t, svc)
	if len(ms) != 1 || ms[0].EventID != "ev-1" || ms[0].To != "ada@example.com" {
		t.Fatalf("mailbox = %+v, want only the first confirmation", ms)
	}
}

func TestUniqueOrderKindHoldsInTheDatabase(t *testing.T) {
	storagetest.Run(t, testUniqueOrderKindHoldsInTheDatabase)
}

func testUniqueOrderKindHoldsInTheDatabase(t *testing.T, engine string) {
	svc := newTestService(t, engine, Config{})
	ctx := context.Background()
	m := message{ID: "m-1", To: "ada@example.com", Subject: "s", Body: "b", Kind: notificationsv1.MessageKind_MESSAGE_KIND_ORDER_PLACED, OrderID: "ord-1", EventID: "ev-1", CreateTime: time.Now()}
	insert := func(m message) bool {
		var ok bool
		if err := svc.store.db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			ok, err = svc.store.insert(ctx, tx, m, true)
			return err
		}); err != nil {
			t.Fatalf("insert %s: %v", m.ID, err)
		}
		return ok
	}
	if !insert(m) {
		t.Fatal("first insert reported a duplicate")
	}
	dup := m
	dup.ID, dup.EventID = "m-2", "ev-2"
	if insert(dup) {
		t.Fatal("second message of the same order and kind was inserted")
	}
	other := m
	other.ID, other.Kind = "m-3", notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CONFIRMED
	if !insert(other) {
		t.Fatal("a message of another kind was refused")
	}
	// A plain INSERT bypassing the store is refused by the constraint.
	_, err := svc.store.db.ExecContext(ctx, `INSERT INTO messages (id, recipient, subject, body, kind, order_id, event_id, create_time)
		VALUES ('m-4', 'x@example.com', 's', 'b', 1, 'ord-1', 'ev-4', '2026-01-01T00:00:00.000000000Z')`)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unique") {
		t.Fatalf("raw duplicate insert error = %v, want a UNIQUE violation", err)
	}
	var n int
	if err := svc.store.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("deliveries = %d (%v), want 2: none for the refused duplicate", n, err)
	}
}

func TestPoisonEventsArePermanent(t *testing.T) {
	storagetest.Run(t, testPoisonEventsArePermanent)
}

func testPoisonEventsArePermanent(t *testing.T, engine string) {
	svc := newTestService(t, engine, Config{})
	tests := []struct {
		name string
		env  *eventsv1.Envelope
	}{
		{"unknown type", envelope(t, "ev-1", "order.exploded", &eventsv1.OrderPlaced{OrderId: "ord-1"})},
		{"payload of another type", envelope(t, "ev-2", TypeOrderPlaced, &eventsv1.OrderCancelled{OrderId: "ord-1"})},
		{"no recipient", envelope(t, "ev-3", TypeOrderPlaced, placed("ord-1", ""))},
		{"bad recipient", envelope(t, "ev-4", TypeOrderConfirmed, confirmed("ord-1", "ada at example.com"))},
		{"no order id", envelope(t, "ev-5", TypeShipmentCreated, &eventsv1.ShipmentCreated{Email: "ada@example.com"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := apply(t, svc, tt.env); !events.IsPermanent(err) {
				t.Fatalf("error = %v, want permanent", err)
			}
		})
	}
	if ms := allMessages(t, svc); len(ms) != 0 {
		t.Fatalf("mailbox = %+v, want empty", ms)
	}
}
