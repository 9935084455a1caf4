package recommendations

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/events/eventstest"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// TestOrderConfirmedOverTheBus publishes confirmed orders through an
// orders-like outbox over a real JetStream and waits for Background's
// consumer to learn from them.
func TestOrderConfirmedOverTheBus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	bus := eventstest.Bus(t)
	svc, err := New(ctx, Config{DSN: filepath.Join(t.TempDir(), "recommendations.db")}, Deps{Bus: bus}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer svc.Close()
	wg.Go(func() { svc.Background(ctx) })
	client := serve(t, svc)

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
	for _, o := range []struct {
		id       string
		products []string
	}{{"ord-1", []string{"mug", "kettle"}}, {"ord-2", []string{"mug", "kettle", "tea"}}, {"ord-1", []string{"mug", "kettle"}}} {
		ev := &eventsv1.OrderConfirmed{OrderId: o.id}
		for _, p := range o.products {
			ev.Items = append(ev.Items, &eventsv1.EventItem{ProductId: p, Quantity: 1})
		}
		err := ordersDB.InTx(ctx, func(tx *sql.Tx) error {
			_, err := orders.Add(ctx, tx, TypeOrderConfirmed, o.id, ev)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	orders.Notify()

	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		if err := svc.store.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events_inbox`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 3 order.confirmed consumed within 15s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := client.ListRecommendations(ctx, &recommendationsv1.ListRecommendationsRequest{ProductIds: []string{"mug"}})
	if err != nil {
		t.Fatalf("ListRecommendations: %v", err)
	}
	if got := recsString(resp.GetRecommendations()); got != "kettle:2 tea:1" {
		t.Fatalf("recommendations for mug = %q, want kettle:2 tea:1 (ord-1 counted once)", got)
	}
}
