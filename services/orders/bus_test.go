package orders

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	"github.com/bazaar-shop/bazaar/internal/natsserver"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// TestEventsOverNATS wires the service to a real JetStream (embedded):
// its relay publishes order.placed and order.confirmed, and its consumer
// applies the shipment.created that shipping publishes.
func TestEventsOverNATS(t *testing.T) {
	ns, err := natsserver.Start(natsserver.Config{Addr: "127.0.0.1:0", StoreDir: t.TempDir(), Name: "orders-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	bus, err := events.Connect(ns.ClientURL(), events.BusOptions{Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)

	// Databases of a downstream consumer and of shipping, opened first so
	// they close after the goroutines using them stop.
	other := openTestDB(t, "downstream")
	shippingDB := openTestDB(t, "shipping")
	e := newEnv(t)
	e.deps.Bus = bus
	e.svc, e.client = e.open()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { e.svc.Background(ctx) })

	// A downstream consumer of the orders stream.
	var mu sync.Mutex
	var seen []string
	wg.Go(func() {
		_ = bus.Consume(ctx, other, events.Subscription{Consumer: "test-orders", Producer: serviceName},
			func(_ context.Context, _ *sql.Tx, env *eventsv1.Envelope) error {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, env.GetType()+" "+env.GetAggregateId())
				return nil
			})
	})

	id := e.place(request("k"))
	if o := e.waitFinal(id); o.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
		t.Fatalf("order ended %v", o.GetStatus())
	}
	want := []string{eventOrderPlaced + " " + id, eventOrderConfirmed + " " + id}
	waitUntil(t, "order events published", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Equal(seen, want)
	})

	// Shipping publishes shipment.created through its own outbox.
	shippingOutbox := events.NewOutbox(shippingDB, "shipping", events.Telemetry{})
	err = shippingDB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := shippingOutbox.Add(ctx, tx, eventShipmentCreated, id,
			&eventsv1.ShipmentCreated{OrderId: id, ShipmentId: "sh-1", TrackingId: "BZ-42", Carrier: "Bazaar Post"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = shippingOutbox.Relay(ctx, bus) })
	waitUntil(t, "tracking id recorded", func() bool {
		o := e.get(id)
		return o.GetTrackingId() == "BZ-42" && o.GetCarrier() == "Bazaar Post"
	})
}

// openTestDB opens a database with the events tables.
func openTestDB(t *testing.T, name string) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), name+".db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := events.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// waitUntil polls cond for up to 10 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
