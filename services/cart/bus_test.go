package cart

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
	natsserver "github.com/nats-io/nats-server/v2/server"
)

// startBus runs an embedded NATS JetStream server and connects a bus.
func startBus(t *testing.T) *events.Bus {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	bus, err := events.Connect(ns.ClientURL(), events.BusOptions{Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	return bus
}

// TestOrderPlacedFromTheBusEmptiesTheCart publishes order.placed through
// an orders-like outbox over a real JetStream and waits for Background's
// consumer to empty the shopper's cart.
func TestOrderPlacedFromTheBusEmptiesTheCart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := startBus(t)
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
		_, err := outbox.Add(ctx, tx, "order.placed", "order-1", &eventsv1.OrderPlaced{OrderId: "order-1", ShopperId: "guest-1"})
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
