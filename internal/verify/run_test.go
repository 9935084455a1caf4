package verify

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
)

// healthyShop is a shop where every invariant holds: two confirmed
// orders, one cancelled out of stock, one cancelled by a declined card,
// one pending for a few seconds, and a charge of an order placed after the
// listing. Every list spans several pages of the fakes.
func healthyShop() *shop {
	s := newShop()
	old := 10 * time.Minute
	s.orders.rounds = [][]*ordersv1.Order{{
		pbOrder("o5", pending, 3*time.Second, ""),
		pbOrder("o4", cancelled, old, ""),
		pbOrder("o3", cancelled, old, ""),
		pbOrder("o2", confirmed, old, "T2"),
		pbOrder("o1", confirmed, old, ""),
	}}
	s.payment.charges = []*paymentv1.Charge{
		pbCharge("c1", "o1", succeeded),
		pbCharge("c2", "o2", declined),
		pbCharge("c3", "o2", succeeded),
		pbCharge("c4", "o4", declined),
		pbCharge("c5", "o9", succeeded),
	}
	s.inventory.reads = [][]*inventoryv1.Stock{{
		pbStock("p1", 7, 1, 2, 10),
		pbStock("p2", 5, 0, 0, 5),
		pbStock("p3", 1, 0, 2, 3),
	}}
	s.inventory.reservations = map[string]*inventoryv1.Reservation{
		"o1": pbReservation("o1", committd, "p1", 2),
		"o2": pbReservation("o2", committd, "p3", 2),
		"o3": pbReservation("o3", rejected, "p2", 9),
		"o4": pbReservation("o4", released, "p1", 1),
		"o5": pbReservation("o5", reserved, "p1", 1),
	}
	s.shipping.shipments = map[string]*shippingv1.Shipment{
		"o1": {Id: "s1", OrderId: "o1", TrackingId: "T1"},
		"o2": {Id: "s2", OrderId: "o2", TrackingId: "T2"},
	}
	s.notifications.messages = []*notificationsv1.Message{
		pbMessage("m1", "o1", kindPlaced),
		pbMessage("m2", "o2", kindPlaced),
		pbMessage("m3", "o1", kindConfirmed),
		pbMessage("m4", "o2", kindConfirmed),
		pbMessage("m5", "o3", notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CANCELLED),
		pbMessage("m6", "o1", kindShipped),
	}
	return s
}

func fixedClock() time.Time { return t0 }

func TestRunHealthyShop(t *testing.T) {
	s := healthyShop()
	s.start(t)
	rep, err := Run(t.Context(), s.clients, Options{Now: fixedClock})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if v := rep.Violations(); len(v) != 0 {
		t.Errorf("violations %+v, want none", v)
	}
	if rep.Orders != 5 || rep.Charges != 5 || rep.Products != 3 {
		t.Errorf("read %d orders, %d charges, %d products; want 5, 5, 3", rep.Orders, rep.Charges, rep.Products)
	}
	if rep.InFlight() != 1 || rep.Results[0].InFlight != 1 {
		t.Errorf("in flight %d (settled: %d), want the one pending order", rep.InFlight(), rep.Results[0].InFlight)
	}
	if !strings.Contains(rep.Results[1].Note, "1 charge of orders not in the order listing") {
		t.Errorf("charges note %q, want it to count the unlisted order's charge", rep.Results[1].Note)
	}
	if ExitCode(rep, err) != ExitOK {
		t.Errorf("exit code %d, want %d", ExitCode(rep, err), ExitOK)
	}
	if n := len(s.orders.requests); n != 3 {
		t.Errorf("%d ListOrders calls, want 3 pages", n)
	}
	for _, req := range s.orders.requests {
		if req.GetUserId() != "" || req.GetShopperId() != "" {
			t.Errorf("ListOrders request %v filters; verify must list every order", req)
		}
	}
}

func TestRunFindsAndNamesViolations(t *testing.T) {
	s := healthyShop()
	orders := s.orders.rounds[0]
	s.orders.rounds[0] = append(orders, pbOrder("o6", pending, 10*time.Minute, "")) // 1: stuck
	s.payment.charges = append(s.payment.charges, pbCharge("c6", "o1", succeeded))  // 2: charged twice
	s.inventory.reservations["o3"] = pbReservation("o3", reserved, "p2", 1)         // 3: holds stock
	s.inventory.reads[0][1] = pbStock("p2", 3, 1, 0, 5)                             // 4: a unit lost
	s.notifications.messages = slicesDelete(s.notifications.messages, "m4")         // 5: no e-mail for o2
	s.start(t)

	rep, err := Run(t.Context(), s.clients, Options{Now: fixedClock})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var got []string
	for _, v := range rep.Violations() {
		got = append(got, fmt.Sprintf("%d:%s", v.Invariant, v.Subject))
	}
	want := "1:o6 2:o1 3:o3 4:p2 5:o2"
	if strings.Join(got, " ") != want {
		t.Errorf("violations %v (%+v), want %s", got, rep.Violations(), want)
	}
	if ExitCode(rep, err) != ExitViolation {
		t.Errorf("exit code %d, want %d", ExitCode(rep, err), ExitViolation)
	}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"order o1: charged 2 times: c1 (SUCCEEDED), c6 (SUCCEEDED)", "product p2: on hand 3", "order o2: no confirmation e-mail", "FAIL: 5 violations"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("report does not say %q:\n%s", w, out.String())
		}
	}
}

// slicesDelete returns msgs without the message id.
func slicesDelete(msgs []*notificationsv1.Message, id string) []*notificationsv1.Message {
	var out []*notificationsv1.Message
	for _, m := range msgs {
		if m.GetId() != id {
			out = append(out, m)
		}
	}
	return out
}

func TestRunNamesTheServiceThatIsDown(t *testing.T) {
	for _, down := range Services() {
		t.Run(down, func(t *testing.T) {
			s := healthyShop()
			s.start(t)
			s.servers[down].Stop()
			rep, err := Run(t.Context(), s.clients, Options{Now: fixedClock})
			var se *ServiceError
			if !errors.As(err, &se) || se.Service != down {
				t.Fatalf("Run error %v, want a ServiceError naming %s", err, down)
			}
			if !strings.HasPrefix(err.Error(), down+": ") {
				t.Errorf("error %q does not start with the service name", err)
			}
			if ExitCode(rep, err) != ExitCannotCheck {
				t.Errorf("exit code %d, want %d", ExitCode(rep, err), ExitCannotCheck)
			}
		})
	}
}

func TestRunWaitsForOrdersInFlight(t *testing.T) {
	s := healthyShop()
	young := 5 * time.Second
	// First listing: o1 pending; second: confirmed, its shipment and
	// e-mail already there.
	s.orders.rounds = [][]*ordersv1.Order{
		{pbOrder("o1", pending, young, "")},
		{pbOrder("o1", confirmed, young, "T1")},
	}
	s.payment.charges = []*paymentv1.Charge{pbCharge("c1", "o1", succeeded)}
	s.inventory.reads = [][]*inventoryv1.Stock{{pbStock("p1", 8, 0, 2, 10)}}
	s.inventory.reservations = map[string]*inventoryv1.Reservation{"o1": pbReservation("o1", committd, "p1", 2)}
	s.start(t)

	rep, err := Run(t.Context(), s.clients, Options{Now: fixedClock, Wait: 10 * time.Second, Poll: 5 * time.Millisecond})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.InFlight() != 0 || len(rep.Violations()) != 0 {
		t.Errorf("in flight %d, violations %+v; want a settled, clean shop", rep.InFlight(), rep.Violations())
	}
	if s.orders.listings != 2 {
		t.Errorf("orders listed %d times, want 2 (once pending, once settled)", s.orders.listings)
	}
}

func TestRunWaitEndsWithWorkStillInFlight(t *testing.T) {
	s := healthyShop() // o5 stays pending, within the grace period
	s.start(t)
	const wait = 100 * time.Millisecond
	start := time.Now()
	rep, err := Run(t.Context(), s.clients, Options{Now: fixedClock, Wait: wait, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if elapsed := time.Since(start); elapsed < wait {
		t.Errorf("Run returned after %v, before the wait of %v", elapsed, wait)
	}
	if rep.InFlight() != 1 || len(rep.Violations()) != 0 {
		t.Errorf("in flight %d, violations %+v; want o5 still in flight and no violation", rep.InFlight(), rep.Violations())
	}
}

func TestRunMeasuresAgeWithTheGrace(t *testing.T) {
	s := healthyShop() // o5 pending for 3s
	s.start(t)
	rep, err := Run(t.Context(), s.clients, Options{Now: fixedClock, Grace: time.Second})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if v := rep.Violations(); len(v) != 1 || v[0].Invariant != Settled || v[0].Subject != "o5" {
		t.Errorf("violations %+v, want o5 pending beyond a 1s grace", v)
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	s := healthyShop()
	s.start(t)
	partial := s.clients
	partial.Shipping = nil
	if _, err := Run(t.Context(), partial, Options{}); !errors.Is(err, ErrClientMissing) {
		t.Errorf("Run without a shipping client: %v, want ErrClientMissing", err)
	}
	for _, o := range []Options{{Grace: -1}, {Wait: -1}, {Poll: -1}, {Concurrency: -1}} {
		if _, err := Run(t.Context(), s.clients, o); err == nil {
			t.Errorf("Run with %+v: no error", o)
		}
	}
}

// Offset-paged listings repeat an item when new ones arrive between two
// pages; verify must not see a repeated order or e-mail as two.
func TestRunCountsAnItemSeenOnTwoPagesOnce(t *testing.T) {
	s := healthyShop()
	orders := s.orders.rounds[0]
	s.orders.rounds[0] = append([]*ordersv1.Order{orders[0], orders[1]}, orders[1:]...) // o4 ends page 1 and starts page 2
	m4 := s.notifications.messages[3]
	s.notifications.messages = append(s.notifications.messages, m4) // o2's confirmation twice
	s.start(t)
	rep, err := Run(t.Context(), s.clients, Options{Now: fixedClock})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Orders != 5 || len(rep.Violations()) != 0 {
		t.Errorf("%d orders, violations %+v; want 5 orders and none", rep.Orders, rep.Violations())
	}
}
