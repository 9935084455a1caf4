package notifications

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/events/eventstest"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// producer is another service's outbox, relayed to the bus.
func producer(t *testing.T, ctx context.Context, wg *sync.WaitGroup, bus *events.Bus, name string) (*storage.DB, *events.Outbox) {
	t.Helper()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), name+".db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := events.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	o := events.NewOutbox(db, name, events.Telemetry{})
	wg.Go(func() { _ = o.Relay(ctx, bus) })
	return db, o
}

func publish(t *testing.T, ctx context.Context, db *storage.DB, o *events.Outbox, typ, orderID string, payload proto.Message) {
	t.Helper()
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := o.Add(ctx, tx, typ, orderID, payload)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	o.Notify()
}

// TestEventsOverTheBus publishes orders' and shipping's events over a
// real JetStream and waits for Background's consumers to fill the
// mailbox, and its delivery loop to send the mail.
func TestEventsOverTheBus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	bus := eventstest.Bus(t)
	f := startFakeSMTP(t, "127.0.0.1:0")
	svc, err := New(ctx, Config{DSN: filepath.Join(t.TempDir(), "notifications.db"), SMTP: SMTP{Addr: f.addr(), Poll: 20 * time.Millisecond}}, Deps{Bus: bus}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer svc.Close()
	wg.Go(func() { svc.Background(ctx) })

	ordersDB, orders := producer(t, ctx, &wg, bus, "orders")
	shippingDB, shipping := producer(t, ctx, &wg, bus, "shipping")
	publish(t, ctx, ordersDB, orders, TypeOrderPlaced, "ord-1", placed("ord-1", "ada@example.com"))
	publish(t, ctx, ordersDB, orders, TypeOrderConfirmed, "ord-1", confirmed("ord-1", "ada@example.com"))
	publish(t, ctx, ordersDB, orders, TypeOrderConfirmed, "ord-1", confirmed("ord-1", "ada@example.com")) // republished
	publish(t, ctx, shippingDB, shipping, TypeShipmentCreated, "ord-1", &eventsv1.ShipmentCreated{OrderId: "ord-1", Email: "ada@example.com", TrackingId: "BZ0000000001", Carrier: "Bazaar Post", EstimatedDays: 7})
	publish(t, ctx, ordersDB, orders, TypeOrderCancelled, "ord-2", &eventsv1.OrderCancelled{OrderId: "ord-2", Email: "bob@example.com", Message: "Out of stock."})

	eventually(t, "four sent mails", func() bool { return len(f.mails()) == 4 })
	var consumed int
	eventually(t, "all five events consumed", func() bool {
		_ = svc.store.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events_inbox`).Scan(&consumed)
		return consumed == 5
	})
	ms := allMessages(t, svc)
	kinds := map[string]int{}
	for _, m := range ms {
		kinds[m.OrderID+" "+m.Kind.String()]++
	}
	want := map[string]int{
		"ord-1 MESSAGE_KIND_ORDER_PLACED": 1, "ord-1 MESSAGE_KIND_ORDER_CONFIRMED": 1,
		"ord-1 MESSAGE_KIND_SHIPMENT_CREATED": 1, "ord-2 MESSAGE_KIND_ORDER_CANCELLED": 1,
	}
	if len(kinds) != len(want) || len(ms) != 4 {
		t.Fatalf("mailbox = %v, want %v", kinds, want)
	}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%s: %d messages, want %d", k, kinds[k], n)
		}
	}
	if n := len(f.mails()); n != 4 {
		t.Errorf("SMTP server received %d mails, want 4", n)
	}
}
