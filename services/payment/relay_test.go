package payment

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/events/eventstest"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// TestEventsReachTheBus charges and refunds with the service's relay
// running and reads the events back from JetStream.
func TestEventsReachTheBus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	bus := eventstest.Bus(t)
	svc, err := New(ctx, Config{DSN: filepath.Join(t.TempDir(), "payment.db")}, Deps{Bus: bus}, nil)
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
		_ = bus.Consume(ctx, inbox, events.Subscription{Consumer: "payment-test", Producer: "payment"},
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
	if _, err := h.Charge(ctx, chargeReq("o1", "k1", cardSucceeds)); err != nil {
		t.Fatalf("Charge o1: %v", err)
	}
	if _, err := h.Charge(ctx, chargeReq("o2", "k2", cardDeclined)); err != nil {
		t.Fatalf("Charge o2: %v", err)
	}
	if _, err := h.Refund(ctx, &paymentv1.RefundRequest{OrderId: "o1", IdempotencyKey: "r1"}); err != nil {
		t.Fatalf("Refund: %v", err)
	}
	want := []string{"payment.succeeded o1", "payment.failed o2", "payment.refunded o1"}
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
