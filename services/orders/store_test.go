package orders

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/anypb"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// testClock is a clock a test moves by hand.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// newTestStore opens a store on a fresh database of engine with a hand-moved
// clock and a 10s lease.
func newTestStore(t *testing.T, engine string) (*store, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	st, err := openStore(context.Background(), storagetest.DSN(t, engine, "orders"), events.Telemetry{}, 10*time.Second, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.close() })
	return st, clock
}

// storeOrder places a minimal order created at the clock's time.
func storeOrder(t *testing.T, st *store, clock *testClock, key string) string {
	t.Helper()
	id := "order-" + key
	o := &order{
		ID: id, IdempotencyKey: key, RequestHash: "hash-" + key, ShopperID: "s", Email: "a@b.c",
		Address:  &typesv1.Address{Name: "A", Street: "S", City: "C", PostalCode: "P", CountryCode: "DE"},
		Items:    []item{{ProductID: "p", Name: "P", Quantity: 1, UnitPrice: usd(1, 0), LineTotal: usd(1, 0)}},
		Currency: "USD", RequestedCurrency: "USD", Subtotal: usd(1, 0), Shipping: usd(0, 0), Total: usd(1, 0),
		Status: ordersv1.OrderStatus_ORDER_STATUS_PENDING, CardLastFour: "4242", Created: clock.now(), Updated: clock.now(),
	}
	hit, err := st.place(context.Background(), o, card{Number: "4242424242424242", ExpMonth: 1, ExpYear: 2040, CVV: "123"})
	if err != nil || hit != nil {
		t.Fatalf("place %s: %v, %v", key, hit, err)
	}
	return id
}

func TestClaimHonoursScheduleAndLeases(t *testing.T) {
	storagetest.Run(t, testClaimHonoursScheduleAndLeases)
}

func testClaimHonoursScheduleAndLeases(t *testing.T, engine string) {
	ctx := context.Background()
	st, clock := newTestStore(t, engine)
	a := storeOrder(t, st, clock, "a")
	clock.advance(time.Millisecond)
	b := storeOrder(t, st, clock, "b")

	got, err := st.claim(ctx, "r1", 10)
	if err != nil || !slices.Equal(got, []string{a, b}) {
		t.Fatalf("first claim = %v, %v; want both, oldest first", got, err)
	}
	if got, _ := st.claim(ctx, "r2", 10); len(got) != 0 {
		t.Fatalf("claim while leased = %v, want none", got)
	}
	// r1 fails a's step: due again in one second.
	if err := st.retryLater(ctx, a, "r1", stepReserve, 1, clock.now().Add(time.Second), "inventory down"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.claim(ctx, "r2", 10); len(got) != 0 {
		t.Fatalf("claim before the retry time = %v, want none", got)
	}
	clock.advance(time.Second)
	if got, _ := st.claim(ctx, "r2", 10); !slices.Equal(got, []string{a}) {
		t.Fatalf("claim at the retry time = %v, want [%s]", got, a)
	}
	// b's lease (r1) runs out: r2 takes it, and r1 can no longer write.
	clock.advance(10 * time.Second)
	if got, _ := st.claim(ctx, "r2", 1); !slices.Equal(got, []string{b}) {
		t.Fatalf("claim after the lease = %v, want [%s]", got, b)
	}
	if err := st.advance(ctx, b, "r1", transition{From: stepReserve, To: stepCharge}); !errors.Is(err, errLeaseLost) {
		t.Fatalf("advance by the old owner: %v, want errLeaseLost", err)
	}
	if _, _, err := st.saga(ctx, b, "r1"); !errors.Is(err, errLeaseLost) {
		t.Fatalf("load by the old owner: %v, want errLeaseLost", err)
	}
	if err := st.advance(ctx, b, "r2", transition{From: stepReserve, To: stepCharge}); err != nil {
		t.Fatalf("advance by the new owner: %v", err)
	}
	// A step may only move from where it is.
	if err := st.advance(ctx, b, "r2", transition{From: stepReserve, To: stepCharge}); !errors.Is(err, errLeaseLost) {
		t.Fatalf("advance from a stale step: %v, want errLeaseLost", err)
	}
	if err := st.releaseLeases(ctx, "r2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.claim(ctx, "r3", 10); len(got) != 2 {
		t.Fatalf("claim after release = %v, want both", got)
	}
}

func TestSagaStepsPersist(t *testing.T) {
	storagetest.Run(t, testSagaStepsPersist)
}

func testSagaStepsPersist(t *testing.T, engine string) {
	ctx := context.Background()
	st, clock := newTestStore(t, engine)
	id := storeOrder(t, st, clock, "a")
	if _, err := st.claim(ctx, "r", 1); err != nil {
		t.Fatal(err)
	}
	steps := []transition{
		{From: stepReserve, To: stepCharge},
		{From: stepCharge, To: stepCompensate, DeleteCard: true, Refund: true, Reason: reasonNoFunds, Message: "no money"},
	}
	for _, tr := range steps {
		if err := st.advance(ctx, id, "r", tr); err != nil {
			t.Fatal(err)
		}
	}
	g, o, err := st.saga(ctx, id, "r")
	if err != nil {
		t.Fatal(err)
	}
	if g.Step != stepCompensate || !g.Refund || g.Reason != reasonNoFunds || g.Message != "no money" {
		t.Errorf("saga = %+v", g)
	}
	if o.Status != ordersv1.OrderStatus_ORDER_STATUS_PENDING || o.CancelReason != ordersv1.CancelReason_CANCEL_REASON_UNSPECIFIED {
		t.Errorf("order while compensating: %v %v, want PENDING without a reason", o.Status, o.CancelReason)
	}
	if _, ok, _ := st.card(ctx, id); ok {
		t.Error("card kept after the charge's final answer")
	}
	out := outcome{Status: ordersv1.OrderStatus_ORDER_STATUS_CANCELLED, Reason: g.Reason, Message: g.Message}
	if err := st.finish(ctx, id, "r", stepCompensate, out); err != nil {
		t.Fatal(err)
	}
	// Finishing twice (a second runner, a replay) writes nothing more.
	if err := st.finish(ctx, id, "r", stepCompensate, out); !errors.Is(err, errLeaseLost) {
		t.Fatalf("second finish: %v, want errLeaseLost", err)
	}
	o, err = st.get(ctx, st.db, id)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != ordersv1.OrderStatus_ORDER_STATUS_CANCELLED || o.CancelReason != reasonNoFunds || o.CancelMessage != "no money" {
		t.Errorf("order = %v %v %q", o.Status, o.CancelReason, o.CancelMessage)
	}
	var n int
	if err := st.db.QueryRow(st.db.Dialect.Rebind(`SELECT COUNT(*) FROM events_outbox WHERE subject = ?`), events.Subject("orders", eventOrderCancelled)).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d order.cancelled events (%v), want 1", n, err)
	}
	if got, _ := st.claim(ctx, "r", 10); len(got) != 0 {
		t.Errorf("a done saga was claimed: %v", got)
	}
}

func TestPlaceSameKeyReturnsTheFirstOrder(t *testing.T) {
	storagetest.Run(t, testPlaceSameKeyReturnsTheFirstOrder)
}

func testPlaceSameKeyReturnsTheFirstOrder(t *testing.T, engine string) {
	st, clock := newTestStore(t, engine)
	storeOrder(t, st, clock, "a")
	o := &order{ID: "other", IdempotencyKey: "a"}
	hit, err := st.place(context.Background(), o, card{})
	if err != nil || hit == nil || hit.ID != "order-a" || hit.RequestHash != "hash-a" || hit.Status != ordersv1.OrderStatus_ORDER_STATUS_PENDING {
		t.Fatalf("place with a used key = %+v, %v", hit, err)
	}
	if _, err := st.get(context.Background(), st.db, "other"); !errors.Is(err, errNotFound) {
		t.Fatalf("second order stored: %v", err)
	}
}

func TestOrdersSurviveReopen(t *testing.T) {
	storagetest.Run(t, testOrdersSurviveReopen)
}

func testOrdersSurviveReopen(t *testing.T, engine string) {
	ctx := context.Background()
	dsn := storagetest.DSN(t, engine, "orders")
	clock := &testClock{t: time.Now()}
	st, err := openStore(ctx, dsn, events.Telemetry{}, time.Second, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	id := storeOrder(t, st, clock, "a")
	if err := st.close(); err != nil {
		t.Fatal(err)
	}
	st, err = openStore(ctx, dsn, events.Telemetry{}, time.Second, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	o, err := st.get(ctx, st.db, id)
	if err != nil || len(o.Items) != 1 || o.Total.GetUnits() != 1 {
		t.Fatalf("after reopen: %+v, %v", o, err)
	}
	if got, _ := st.claim(ctx, "r", 10); !slices.Equal(got, []string{id}) {
		t.Fatalf("saga after reopen: claim = %v", got)
	}
}

func TestShipmentCreated(t *testing.T) {
	storagetest.Run(t, testShipmentCreated)
}

func testShipmentCreated(t *testing.T, engine string) {
	ctx := context.Background()
	st, clock := newTestStore(t, engine)
	id := storeOrder(t, st, clock, "a")
	envelope := func(eventID string, msg *eventsv1.ShipmentCreated) *eventsv1.Envelope {
		payload, err := anypb.New(msg)
		if err != nil {
			t.Fatal(err)
		}
		return &eventsv1.Envelope{EventId: eventID, Type: eventShipmentCreated, AggregateId: msg.GetOrderId(), Source: "shipping", Payload: payload}
	}
	apply := func(env *eventsv1.Envelope) (bool, error) {
		return events.ApplyOnce(ctx, st.db, shipmentSubscription().Consumer, env, st.onShipmentCreated)
	}
	ev := &eventsv1.ShipmentCreated{OrderId: id, ShipmentId: "sh-1", TrackingId: "BZ123", Carrier: "Bazaar Post"}
	if applied, err := apply(envelope("e1", ev)); err != nil || !applied {
		t.Fatalf("apply: %v, %v", applied, err)
	}
	if applied, err := apply(envelope("e1", ev)); err != nil || applied {
		t.Fatalf("redelivery: applied=%v, %v; want skipped", applied, err)
	}
	// The same shipment under another event id (a republish) is harmless.
	if _, err := apply(envelope("e2", ev)); err != nil {
		t.Fatalf("republish: %v", err)
	}
	o, err := st.get(ctx, st.db, id)
	if err != nil || o.TrackingID != "BZ123" || o.Carrier != "Bazaar Post" {
		t.Fatalf("order after shipment.created: %q %q, %v", o.TrackingID, o.Carrier, err)
	}
	bad := []struct {
		name string
		env  *eventsv1.Envelope
	}{
		{"unknown order", envelope("e3", &eventsv1.ShipmentCreated{OrderId: "nope", TrackingId: "X"})},
		{"no tracking id", envelope("e4", &eventsv1.ShipmentCreated{OrderId: id})},
		{"wrong payload", func() *eventsv1.Envelope {
			p, _ := anypb.New(&eventsv1.OrderPlaced{OrderId: id})
			return &eventsv1.Envelope{EventId: "e5", Type: eventShipmentCreated, Payload: p}
		}()},
	}
	for _, b := range bad {
		if _, err := apply(b.env); !events.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent error (dropped)", b.name, err)
		}
	}
}

func TestListOrdersTieBreak(t *testing.T) {
	storagetest.Run(t, testListOrdersTieBreak)
}

func testListOrdersTieBreak(t *testing.T, engine string) {
	// Orders created in the same nanosecond page by id, without loss.
	ctx := context.Background()
	st, clock := newTestStore(t, engine)
	var ids []string
	for i := range 5 {
		ids = append(ids, storeOrder(t, st, clock, fmt.Sprint(i)))
	}
	var got []string
	p := listParams{Limit: 2}
	for {
		page, more, err := st.list(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page {
			got = append(got, o.ID)
		}
		if !more {
			break
		}
		last := page[len(page)-1]
		p.After = &cursor{CreateNS: last.Created.UnixNano(), ID: last.ID}
	}
	slices.Reverse(ids)
	if !slices.Equal(got, ids) {
		t.Errorf("got %v, want %v", got, ids)
	}
}

// Replicas claiming due sagas at the same time from one database never
// lease one saga to two of them.
func TestConcurrentClaimsLeaseEachSagaOnce(t *testing.T) {
	storagetest.Run(t, testConcurrentClaimsLeaseEachSagaOnce)
}

func testConcurrentClaimsLeaseEachSagaOnce(t *testing.T, engine string) {
	ctx := context.Background()
	dsn := storagetest.DSN(t, engine, "orders")
	clock := &testClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	var replicas []*store
	for range 3 {
		st, err := openStore(ctx, dsn, events.Telemetry{}, time.Minute, clock.now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.close() })
		replicas = append(replicas, st)
	}
	const orders = 30
	for i := range orders {
		storeOrder(t, replicas[0], clock, fmt.Sprintf("k%02d", i))
	}
	claimed := make([][]string, len(replicas))
	errs := make(chan error, len(replicas))
	var wg sync.WaitGroup
	for i, st := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				ids, err := st.claim(ctx, fmt.Sprintf("r%d", i), 4)
				if err != nil {
					errs <- err
					return
				}
				claimed[i] = append(claimed[i], ids...)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("claim: %v", err)
	}
	seen := map[string]int{}
	for i, ids := range claimed {
		for _, id := range ids {
			if prev, dup := seen[id]; dup {
				t.Fatalf("saga %s leased to r%d and r%d", id, prev, i)
			}
			seen[id] = i
		}
	}
	if len(seen) != orders {
		t.Errorf("%d sagas claimed, want all %d", len(seen), orders)
	}
}
