package inventory

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/events/eventstest"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// TestEventsReachTheBus reserves, rejects and drains a low product with
// the service's relay running and reads the events back from JetStream.
func TestEventsReachTheBus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	bus := eventstest.Bus(t)
	svc, err := New(ctx, Config{DSN: filepath.Join(t.TempDir(), "inventory.db")}, Deps{Bus: bus}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	inbox, err := storage.Open(ctx, filepath.Join(t.TempDir(), "consumer.db"), nil)
	if err != nil {
		t.Fatalf("open consumer db: %v", err)
	}
	if err := events.Migrate(ctx, inbox); err != nil {
		t.Fatalf("migrate consumer db: %v", err)
	}
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	wg.Go(func() { svc.Background(ctx) })
	wg.Go(func() {
		_ = bus.Consume(ctx, inbox, events.Subscription{Consumer: "inventory-test", Producer: "inventory"},
			func(_ context.Context, _ *sql.Tx, env *eventsv1.Envelope) error {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, env.GetType()+" "+env.GetAggregateId())
				return nil
			})
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		_ = svc.Close()
		_ = inbox.Close()
	})

	h := svc.handler
	// espresso-cup is seeded well above the threshold; take all but 2.
	st, err := h.GetStock(ctx, &inventoryv1.GetStockRequest{ProductId: "espresso-cup"})
	if err != nil {
		t.Fatalf("GetStock: %v", err)
	}
	if _, err := h.Reserve(ctx, &inventoryv1.ReserveRequest{OrderId: "o1", Items: items("espresso-cup", int(st.GetStock().GetOnHand()-2))}); err != nil {
		t.Fatalf("Reserve o1: %v", err)
	}
	if _, err := h.Reserve(ctx, &inventoryv1.ReserveRequest{OrderId: "o2", Items: items("espresso-cup", 3)}); err != nil {
		t.Fatalf("Reserve o2: %v", err)
	}
	want := []string{"stock.low espresso-cup", "stock.reserved o1", "stock.rejected o2"}
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("events on the bus = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %q, want %q", i, got[i], want[i])
		}
	}
}
