package cart

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/events/eventstest"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// TestOrderPlacedFromTheBusEmptiesTheCart publishes order.placed through
// an orders-like outbox over a real JetStream and waits for Background's
// consumer to empty the shopper's cart.
func TestOrderPlacedFromTheBusEmptiesTheCart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := eventstest.Bus(t)
	f := start(t)
	f.svc.bus = bus
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { f.svc.Background(ctx) })

	f.add(t, "guest-1", "mug", 2, "k1")
	f.add(t, "guest-2", "tea", 1, "k2")

	ordersDB, err := storage.Open(ctx, filepath.Join(t.TempDir(), "orders.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ordersDB.Close()
	if err := events.Migrate(ctx, ordersDB); err != nil {
		t.Fatal(err)
	}
	outbox := events.NewOutbox(ordersDB, "orders", events.Telemetry{})
	wg.Go(func() { _ = outbox.Relay(ctx, bus) })
	err = ordersDB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := outbox.Add(ctx, tx, "order.placed", "order-1", ordered("guest-1", map[string]int32{"mug": 2}))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	outbox.Notify()

	deadline := time.Now().Add(15 * time.Second)
	for len(f.get(t, "guest-1").GetItems()) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("cart not emptied within 15s of order.placed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := items(f.get(t, "guest-2")); got != "tea:1" {
		t.Errorf("another shopper's cart %q, want untouched", got)
	}
	resp, err := f.client.GetCart(ctx, &cartv1.GetCartRequest{ShopperId: "guest-1"})
	if err != nil || resp.GetCart().GetUpdateTime() == nil {
		t.Errorf("emptied cart %v, %v; want an update_time", resp.GetCart(), err)
	}
}
