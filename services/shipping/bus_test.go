package shipping

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/events/eventstest"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// TestOrderConfirmedOverTheBus publishes order.confirmed twice (two event
// ids, one order) through an orders-like outbox over a real JetStream and
// reads what shipping publishes: one shipment.created.
func TestOrderConfirmedOverTheBus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	bus := eventstest.Bus(t)
	svc, err := New(ctx, Config{DSN: filepath.Join(t.TempDir(), "shipping.db")}, Deps{Bus: bus}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer svc.Close()
	wg.Go(func() { svc.Background(ctx) })

	ordersDB, err := storage.Open(ctx, filepath.Join(t.TempDir(), "orders.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ordersDB.Close()
	if err := events.Migrate(ctx, ordersDB); err != nil {
		t.Fatal(err)
	}
	orders := events.NewOutbox(ordersDB, "orders", events.Telemetry{})
	wg.Go(func() { _ = orders.Relay(ctx, bus) })
	for range 2 {
		err = ordersDB.InTx(ctx, func(tx *sql.Tx) error {
			_, err := orders.Add(ctx, tx, TypeOrderConfirmed, "order-1", confirmed("order-1"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	orders.Notify()

	// A downstream consumer (notifications, say) of shipping's events.
	var mu sync.Mutex
	var got []*eventsv1.ShipmentCreated
	listenerDB, err := storage.Open(ctx, filepath.Join(t.TempDir(), "listener.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer listenerDB.Close()
	if err := events.Migrate(ctx, listenerDB); err != nil {
		t.Fatal(err)
	}
	sub := events.Subscription{Consumer: "test-shipping", Producer: Producer, Types: []string{TypeShipmentCreated}}
	wg.Go(func() {
		_ = bus.Consume(ctx, listenerDB, sub, func(_ context.Context, _ *sql.Tx, env *eventsv1.Envelope) error {
			var ev eventsv1.ShipmentCreated
			if err := events.Unpack(env, &ev); err != nil {
				return events.Permanent(err)
			}
			mu.Lock()
			defer mu.Unlock()
			got = append(got, &ev)
			return nil
		})
	})

	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no shipment.created within 15s of order.confirmed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Both order.confirmed events were applied, and made one event.
	for count(t, svc.store.db.DB, `SELECT COUNT(*) FROM events_inbox WHERE consumer = 'shipping-orders'`) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the second order.confirmed was not consumed within 15s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rows := outboxRows(t, svc); len(rows) != 1 {
		t.Fatalf("outbox holds %d events, want 1", len(rows))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].GetOrderId() != "order-1" || got[0].GetTrackingId() == "" {
		t.Fatalf("shipment.created events = %v, want one for order-1", got)
	}
	sh, err := svc.store.byOrder(ctx, svc.store.db, "order-1")
	if err != nil || sh.TrackingID != got[0].GetTrackingId() {
		t.Fatalf("stored shipment = %+v, %v; want tracking id %s", sh, err, got[0].GetTrackingId())
	}
}
