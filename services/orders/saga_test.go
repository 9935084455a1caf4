package orders

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
)

func TestSagaOutcomes(t *testing.T) {
	tests := []struct {
		name  string
		req   func() *ordersv1.PlaceOrderRequest
		setup func(*testEnv)
		// want
		status      ordersv1.OrderStatus
		reason      ordersv1.CancelReason
		successes   int // successful charges made at payment
		refunds     int
		commits     int
		releases    int
		minCharges  int // Charge calls, at least
		reservation inventoryv1.ReservationState
		event       string // the final event
	}{
		{
			name: "happy path", req: func() *ordersv1.PlaceOrderRequest { return request("k") },
			status: ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED, successes: 1, commits: 1, minCharges: 1,
			reservation: inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED, event: eventOrderConfirmed,
		},
		{
			name: "declined", req: func() *ordersv1.PlaceOrderRequest { return withCard(request("k"), cardDeclined) },
			status: ordersv1.OrderStatus_ORDER_STATUS_CANCELLED, reason: ordersv1.CancelReason_CANCEL_REASON_PAYMENT_DECLINED,
			releases: 1, minCharges: 1,
			reservation: inventoryv1.ReservationState_RESERVATION_STATE_RELEASED, event: eventOrderCancelled,
		},
		{
			name: "insufficient funds", req: func() *ordersv1.PlaceOrderRequest { return withCard(request("k"), cardNoFunds) },
			status: ordersv1.OrderStatus_ORDER_STATUS_CANCELLED, reason: ordersv1.CancelReason_CANCEL_REASON_INSUFFICIENT_FUNDS,
			releases: 1, minCharges: 1,
			reservation: inventoryv1.ReservationState_RESERVATION_STATE_RELEASED, event: eventOrderCancelled,
		},
		{
			name: "out of stock",
			req: func() *ordersv1.PlaceOrderRequest {
				r := request("k")
				r.Items = append(r.Items, &ordersv1.LineItem{ProductId: "spoon", Quantity: 5})
				return r
			},
			status: ordersv1.OrderStatus_ORDER_STATUS_CANCELLED, reason: ordersv1.CancelReason_CANCEL_REASON_OUT_OF_STOCK,
			reservation: inventoryv1.ReservationState_RESERVATION_STATE_REJECTED, event: eventOrderCancelled,
		},
		{
			name: "transient card failures are retried", req: func() *ordersv1.PlaceOrderRequest { return withCard(request("k"), cardTransient) },
			status: ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED, successes: 1, commits: 1, minCharges: 3,
			reservation: inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED, event: eventOrderConfirmed,
		},
		{
			name: "commit refused after the charge: refund and release",
			req:  func() *ordersv1.PlaceOrderRequest { return request("k") },
			setup: func(e *testEnv) {
				e.inventory.setCommitErr(status.Error(codes.FailedPrecondition, "reservation expired"))
			},
			status: ordersv1.OrderStatus_ORDER_STATUS_CANCELLED, reason: ordersv1.CancelReason_CANCEL_REASON_OUT_OF_STOCK,
			successes: 1, refunds: 1, commits: 1, releases: 1, minCharges: 1,
			reservation: inventoryv1.ReservationState_RESERVATION_STATE_RELEASED, event: eventOrderCancelled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			run(t, e.svc)
			id := e.place(tt.req())
			o := e.waitFinal(id)
			if o.GetStatus() != tt.status || o.GetCancelReason() != tt.reason {
				t.Fatalf("order ended %v (%v: %q), want %v (%v)", o.GetStatus(), o.GetCancelReason(), o.GetCancelMessage(), tt.status, tt.reason)
			}
			if tt.status == ordersv1.OrderStatus_ORDER_STATUS_CANCELLED && o.GetCancelMessage() == "" {
				t.Error("cancelled order has no cancel message")
			}
			calls, successes, refunds := e.payment.stats(id)
			if successes != tt.successes || refunds != tt.refunds || calls < tt.minCharges {
				t.Errorf("payment: %d calls, %d successes, %d refunds; want >= %d, %d, %d", calls, successes, refunds, tt.minCharges, tt.successes, tt.refunds)
			}
			if got := e.inventory.count("Commit", id); got != tt.commits {
				t.Errorf("Commit called %d times, want %d", got, tt.commits)
			}
			if got := e.inventory.count("Release", id); got != tt.releases {
				t.Errorf("Release called %d times, want %d", got, tt.releases)
			}
			if got := e.inventory.state(id); got != tt.reservation {
				t.Errorf("reservation is %v, want %v", got, tt.reservation)
			}
			if (o.GetChargeId() != "") != (tt.successes > 0) {
				t.Errorf("charge id %q with %d successful charges", o.GetChargeId(), tt.successes)
			}
			if n := e.count(`SELECT COUNT(*) FROM cards`); n != 0 {
				t.Errorf("%d cards kept after the order ended, want 0", n)
			}
			if got, want := eventTypes(e.outbox(id)), []string{eventOrderPlaced, tt.event}; !slices.Equal(got, want) {
				t.Errorf("outbox events %v, want %v", got, want)
			}
			if !strings.HasPrefix(e.sagaRow(id), "step=done") {
				t.Errorf("saga %s, want done", e.sagaRow(id))
			}
		})
	}
}

func TestConfirmedEventCarriesTheOrder(t *testing.T) {
	e := newEnv(t)
	run(t, e.svc)
	id := e.place(request("k"))
	o := e.waitFinal(id)
	envs := e.outbox(id)
	if len(envs) != 2 {
		t.Fatalf("%d events, want 2", len(envs))
	}
	var placed eventsv1.OrderPlaced
	if err := events.Unpack(envs[0], &placed); err != nil {
		t.Fatal(err)
	}
	var confirmed eventsv1.OrderConfirmed
	if err := events.Unpack(envs[1], &confirmed); err != nil {
		t.Fatal(err)
	}
	if placed.GetTotal().GetUnits() != o.GetTotal().GetUnits() || placed.GetEmail() != "ada@example.com" || len(placed.GetItems()) != 2 {
		t.Errorf("order.placed = %v", &placed)
	}
	if confirmed.GetChargeId() == "" || confirmed.GetChargeId() != o.GetChargeId() {
		t.Errorf("order.confirmed charge %q, order's %q", confirmed.GetChargeId(), o.GetChargeId())
	}
	if it := confirmed.GetItems()[1]; it.GetProductId() != "teapot" || it.GetWeightGrams() != 900 || it.GetName() != "Teapot" {
		t.Errorf("order.confirmed item = %v, want the teapot with its weight", it)
	}
	if confirmed.GetShippingAddress().GetCity() != "London" {
		t.Errorf("order.confirmed address = %v", confirmed.GetShippingAddress())
	}
}

func TestCancelledEventCarriesTheReason(t *testing.T) {
	e := newEnv(t)
	run(t, e.svc)
	id := e.place(withCard(request("k"), cardNoFunds))
	e.waitFinal(id)
	envs := e.outbox(id)
	var cancelled eventsv1.OrderCancelled
	if err := events.Unpack(envs[len(envs)-1], &cancelled); err != nil {
		t.Fatal(err)
	}
	if cancelled.GetReason() != ordersv1.CancelReason_CANCEL_REASON_INSUFFICIENT_FUNDS || cancelled.GetMessage() == "" {
		t.Errorf("order.cancelled = %v", &cancelled)
	}
}

// TestDependencyDownDelaysTheOrder: while a dependency is down or hangs
// the order stays PENDING and is retried; once it is back the order
// completes within seconds, charged once.
func TestDependencyDownDelaysTheOrder(t *testing.T) {
	tests := []struct {
		name string
		dep  func(*testEnv) *switchable
		mode mode
	}{
		{"payment unavailable", func(e *testEnv) *switchable { return &e.payment.switchable }, modeDown},
		{"payment hangs", func(e *testEnv) *switchable { return &e.payment.switchable }, modeHang},
		{"inventory unavailable", func(e *testEnv) *switchable { return &e.inventory.switchable }, modeDown},
		{"inventory hangs", func(e *testEnv) *switchable { return &e.inventory.switchable }, modeHang},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			dep := tt.dep(e)
			dep.set(tt.mode)
			run(t, e.svc)
			id := e.place(request("k"))
			deadline := time.Now().Add(5 * time.Second)
			for {
				var attempts int
				if err := e.svc.store.db.QueryRow(e.svc.store.db.Dialect.Rebind(`SELECT attempts FROM sagas WHERE order_id = ?`), id).Scan(&attempts); err != nil {
					t.Fatal(err)
				}
				if attempts >= 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("saga not retried: %s", e.sagaRow(id))
				}
				time.Sleep(10 * time.Millisecond)
			}
			if o := e.get(id); o.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_PENDING {
				t.Fatalf("order is %v while a dependency is down, want PENDING", o.GetStatus())
			}
			dep.set(modeUp)
			start := time.Now()
			o := e.waitFinal(id)
			if o.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
				t.Fatalf("order ended %v, want CONFIRMED", o.GetStatus())
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("order took %v after recovery, want well under the backoff cap", took)
			}
			if _, successes, _ := e.payment.stats(id); successes != 1 {
				t.Errorf("%d successful charges, want 1", successes)
			}
		})
	}
}

// TestCrashAfterChargeBeforePersist stops the saga right after payment
// charged the card but before the step was recorded; a new service on the
// same database charges again with the same key, gets the same charge
// back, and confirms: one successful charge.
func TestCrashAfterChargeBeforePersist(t *testing.T) {
	for _, killed := range []bool{false, true} {
		t.Run(fmt.Sprintf("leases left behind=%v", killed), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Lease = time.Second })
			ctx, crash := context.WithCancel(context.Background())
			e.payment.setOnCharge(func(string) { crash() })
			done := make(chan struct{})
			go func() { defer close(done); e.svc.Background(ctx) }()
			id := e.place(request("k"))
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("saga did not stop")
			}
			if _, successes, _ := e.payment.stats(id); successes != 1 {
				t.Fatalf("%d successful charges before the crash, want 1", successes)
			}
			if !strings.HasPrefix(e.sagaRow(id), "step=charge") {
				t.Fatalf("saga after the crash: %s, want step=charge (the charge was not recorded)", e.sagaRow(id))
			}
			if e.get(id).GetChargeId() != "" {
				t.Fatal("charge recorded despite the crash")
			}
			if killed {
				// A kill -9 gives nothing back: the lease stays until it
				// runs out.
				if _, err := e.svc.store.db.Exec(e.svc.store.db.Dialect.Rebind(`UPDATE sagas SET lock_owner = 'dead', locked_until = ? WHERE order_id = ?`),
					millis(time.Now().Add(e.cfg.Lease)), id); err != nil {
					t.Fatal(err)
				}
			}
			e.payment.setOnCharge(nil)
			if err := e.svc.Close(); err != nil {
				t.Fatal(err)
			}

			e.svc, e.client = e.open()
			run(t, e.svc)
			if killed {
				time.Sleep(e.cfg.Lease / 2)
				if calls, _, _ := e.payment.stats(id); calls != 1 {
					t.Fatalf("the order was taken while another runner's lease held it (%d Charge calls)", calls)
				}
			}
			o := e.waitFinal(id)
			if o.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED || o.GetChargeId() == "" {
				t.Fatalf("after restart the order is %v (charge %q), want CONFIRMED and charged", o.GetStatus(), o.GetChargeId())
			}
			calls, successes, _ := e.payment.stats(id)
			if successes != 1 || calls != 2 {
				t.Errorf("payment saw %d calls and %d successful charges, want 2 calls, 1 success", calls, successes)
			}
			if keys := e.payment.chargeKeys(id); len(keys) != 2 || keys[0] != keys[1] {
				t.Errorf("Charge idempotency keys %q, want the same key twice", keys)
			}
			if got := e.inventory.count("Commit", id); got != 1 {
				t.Errorf("Commit called %d times, want 1", got)
			}
			if got := eventTypes(e.outbox(id)); !slices.Equal(got, []string{eventOrderPlaced, eventOrderConfirmed}) {
				t.Errorf("outbox events %v", got)
			}
		})
	}
}

// TestTwoReplicasShareTheWork runs two services on one database: every
// order is worked by one of them at a time, ends CONFIRMED, is charged
// once and confirmed once.
func TestTwoReplicasShareTheWork(t *testing.T) {
	e := newEnv(t)
	second, secondClient := e.open()
	run(t, e.svc)
	run(t, second)
	clients := []ordersv1.OrdersServiceClient{e.client, secondClient}
	const n = 20
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := clients[i%2].PlaceOrder(context.Background(), request(fmt.Sprintf("key-%d", i)))
			if err != nil {
				t.Errorf("PlaceOrder %d: %v", i, err)
				return
			}
			ids[i] = resp.GetOrderId()
		})
	}
	wg.Wait()
	for _, id := range ids {
		if o := e.waitFinal(id); o.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
			t.Errorf("order %s ended %v", id, o.GetStatus())
		}
		if calls, successes, _ := e.payment.stats(id); calls != 1 || successes != 1 {
			t.Errorf("order %s: %d Charge calls, %d successes; want 1 and 1", id, calls, successes)
		}
		if got := eventTypes(e.outbox(id)); !slices.Equal(got, []string{eventOrderPlaced, eventOrderConfirmed}) {
			t.Errorf("order %s: outbox events %v", id, got)
		}
	}
}

// TestStopGivesLeasesBack: a service that stops gracefully hands its
// orders over at once, without waiting for the leases to run out.
func TestStopGivesLeasesBack(t *testing.T) {
	// The charge hangs for longer than the test: the lease is surely held
	// when the service stops.
	e := newEnv(t, func(c *Config) { c.Lease, c.CallTimeout = time.Hour, time.Minute })
	e.payment.set(modeHang)
	stop := run(t, e.svc)
	id := e.place(request("k"))
	deadline := time.Now().Add(5 * time.Second)
	for e.count(`SELECT COUNT(*) FROM sagas WHERE step = 'charge' AND lock_owner <> ''`) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("saga never reached charge: %s", e.sagaRow(id))
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if n := e.count(`SELECT COUNT(*) FROM sagas WHERE lock_owner <> '' OR locked_until <> 0`); n != 0 {
		t.Fatalf("%d leases held after stop", n)
	}
	e.payment.set(modeUp)
	next, _ := e.open()
	run(t, next)
	if o := e.waitFinal(id); o.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
		t.Fatalf("order ended %v", o.GetStatus())
	}
}
