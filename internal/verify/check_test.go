package verify

import (
	"strings"
	"testing"
	"time"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
)

// Short names for the enum values the tables use.
const (
	pending   = ordersv1.OrderStatus_ORDER_STATUS_PENDING
	confirmed = ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED
	cancelled = ordersv1.OrderStatus_ORDER_STATUS_CANCELLED

	succeeded = paymentv1.ChargeStatus_CHARGE_STATUS_SUCCEEDED
	declined  = paymentv1.ChargeStatus_CHARGE_STATUS_DECLINED
	refunded  = paymentv1.ChargeStatus_CHARGE_STATUS_REFUNDED

	reserved = inventoryv1.ReservationState_RESERVATION_STATE_RESERVED
	rejected = inventoryv1.ReservationState_RESERVATION_STATE_REJECTED
	released = inventoryv1.ReservationState_RESERVATION_STATE_RELEASED
	committd = inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED

	kindPlaced    = notificationsv1.MessageKind_MESSAGE_KIND_ORDER_PLACED
	kindConfirmed = notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CONFIRMED
	kindShipped   = notificationsv1.MessageKind_MESSAGE_KIND_SHIPMENT_CREATED
)

const grace = time.Minute

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func usd(units int64, nanos int32) Money { return Money{Currency: "USD", Units: units, Nanos: nanos} }

// order makes an order of total 10 USD, placed and last changed age ago.
func order(id string, st ordersv1.OrderStatus, age time.Duration) Order {
	return Order{ID: id, Status: st, Total: usd(10, 0), Created: t0.Add(-age), Updated: t0.Add(-age)}
}

func charge(id, orderID string, st paymentv1.ChargeStatus) Charge {
	return Charge{ID: id, OrderID: orderID, Status: st, Amount: usd(10, 0)}
}

// expect is what a check should find.
type expect struct {
	subjects []string // subjects of the violations, in order
	detail   string   // a piece of the first violation's detail
	inFlight int
	note     string // a piece of the note
}

func (e expect) check(t *testing.T, inv Invariant, r Result) {
	t.Helper()
	if r.Invariant != inv {
		t.Errorf("result is for invariant %d, want %d", r.Invariant, inv)
	}
	var got []string
	for _, v := range r.Violations {
		got = append(got, v.Subject)
		if v.Invariant != inv {
			t.Errorf("violation %+v names invariant %d, want %d", v, v.Invariant, inv)
		}
	}
	if strings.Join(got, " ") != strings.Join(e.subjects, " ") {
		t.Errorf("violations %+v, want subjects %q", r.Violations, e.subjects)
	}
	if e.detail != "" && (len(r.Violations) == 0 || !strings.Contains(r.Violations[0].Detail, e.detail)) {
		t.Errorf("violations %+v, want the first to say %q", r.Violations, e.detail)
	}
	if r.InFlight != e.inFlight {
		t.Errorf("in flight %d, want %d", r.InFlight, e.inFlight)
	}
	if !strings.Contains(r.Note, e.note) {
		t.Errorf("note %q, want it to say %q", r.Note, e.note)
	}
	wantStatus := "OK"
	if len(e.subjects) > 0 {
		wantStatus = "VIOLATED"
	}
	if r.Status() != wantStatus {
		t.Errorf("status %s, want %s", r.Status(), wantStatus)
	}
}

func TestCheckSettled(t *testing.T) {
	tests := []struct {
		name   string
		orders []Order
		want   expect
	}{
		{"no orders", nil, expect{}},
		{"final orders", []Order{order("o1", confirmed, time.Hour), order("o2", cancelled, time.Hour)}, expect{}},
		{"young pending order is in flight", []Order{order("o1", pending, 10*time.Second)}, expect{inFlight: 1}},
		{"pending exactly the grace is in flight", []Order{order("o1", pending, grace)}, expect{inFlight: 1}},
		{"old pending order", []Order{order("o1", confirmed, time.Hour), order("o2", pending, 2*time.Minute)},
			expect{subjects: []string{"o2"}, detail: "still PENDING 2m0s"}},
		{"unknown status", []Order{order("o1", ordersv1.OrderStatus_ORDER_STATUS_UNSPECIFIED, time.Hour)},
			expect{subjects: []string{"o1"}, detail: "neither PENDING, CONFIRMED nor CANCELLED"}},
		{"several", []Order{order("o1", pending, time.Hour), order("o2", pending, time.Second), order("o3", pending, time.Hour)},
			expect{subjects: []string{"o1", "o3"}, inFlight: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.check(t, Settled, checkSettled(tt.orders, t0, grace))
		})
	}
}

func TestCheckChargedOnce(t *testing.T) {
	wrongAmount := charge("c1", "o1", succeeded)
	wrongAmount.Amount = usd(9, 990000000)
	wrongCurrency := charge("c1", "o1", succeeded)
	wrongCurrency.Amount = Money{Currency: "EUR", Units: 10}
	tests := []struct {
		name    string
		orders  []Order
		charges []Charge
		want    expect
	}{
		{"one charge", []Order{order("o1", confirmed, 0)}, []Charge{charge("c1", "o1", succeeded)}, expect{}},
		{"declined then succeeded", []Order{order("o1", confirmed, 0)},
			[]Charge{charge("c1", "o1", declined), charge("c2", "o1", succeeded)}, expect{}},
		{"refunded alone", []Order{order("o1", cancelled, 0)}, []Charge{charge("c1", "o1", refunded)}, expect{}},
		{"no charge", []Order{order("o1", pending, 0)}, nil, expect{}},
		{"two succeeded", []Order{order("o1", confirmed, 0), order("o2", confirmed, 0)},
			[]Charge{charge("c1", "o1", succeeded), charge("c2", "o2", succeeded), charge("c3", "o2", succeeded)},
			expect{subjects: []string{"o2"}, detail: "charged 2 times: c2 (SUCCEEDED), c3 (SUCCEEDED)"}},
		{"succeeded and refunded", []Order{order("o1", cancelled, 0)},
			[]Charge{charge("c1", "o1", refunded), charge("c2", "o1", succeeded)},
			expect{subjects: []string{"o1"}, detail: "charged 2 times"}},
		{"amount differs from total", []Order{order("o1", confirmed, 0)}, []Charge{wrongAmount},
			expect{subjects: []string{"o1"}, detail: "charge c1 is 9.99 USD, but the order total is 10 USD"}},
		{"currency differs", []Order{order("o1", confirmed, 0)}, []Charge{wrongCurrency},
			expect{subjects: []string{"o1"}, detail: "10 EUR"}},
		{"declined amount is not checked", []Order{order("o1", cancelled, 0)},
			[]Charge{{ID: "c1", OrderID: "o1", Status: declined, Amount: usd(1, 0)}}, expect{}},
		{"charge of an unlisted order", []Order{order("o1", confirmed, 0)},
			[]Charge{charge("c1", "o1", succeeded), charge("c2", "o9", succeeded), charge("c3", "o9", succeeded)},
			expect{note: "2 charges of orders not in the order listing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.check(t, ChargedOnce, checkChargedOnce(tt.orders, tt.charges))
		})
	}
}

func TestCheckCancelledHoldsNothing(t *testing.T) {
	items := []Item{{ProductID: "p1", Quantity: 2}}
	tests := []struct {
		name         string
		orders       []Order
		charges      []Charge
		reservations map[string]Reservation
		want         expect
	}{
		{"refunded and released", []Order{order("o1", cancelled, 0)}, []Charge{charge("c1", "o1", refunded)},
			map[string]Reservation{"o1": {State: released, Items: items}}, expect{}},
		{"declined and rejected", []Order{order("o1", cancelled, 0)}, []Charge{charge("c1", "o1", declined)},
			map[string]Reservation{"o1": {State: rejected, Items: items}}, expect{}},
		{"never reserved nor charged", []Order{order("o1", cancelled, 0)}, nil, nil, expect{}},
		{"confirmed orders hold both", []Order{order("o1", confirmed, 0)}, []Charge{charge("c1", "o1", succeeded)},
			map[string]Reservation{"o1": {State: committd, Items: items}}, expect{}},
		{"charge not refunded", []Order{order("o1", confirmed, 0), order("o2", cancelled, 0)},
			[]Charge{charge("c1", "o1", succeeded), charge("c2", "o2", declined), charge("c3", "o2", succeeded)},
			map[string]Reservation{"o2": {State: released}},
			expect{subjects: []string{"o2"}, detail: "charge c3 of 10 USD is SUCCEEDED, not refunded"}},
		{"stock still reserved", []Order{order("o1", cancelled, 0)}, nil,
			map[string]Reservation{"o1": {State: reserved, Items: items}},
			expect{subjects: []string{"o1"}, detail: "its reservation is RESERVED, not RELEASED or REJECTED (p1 x2)"}},
		{"stock sold", []Order{order("o1", cancelled, 0)}, nil,
			map[string]Reservation{"o1": {State: committd, Items: items}},
			expect{subjects: []string{"o1"}, detail: "COMMITTED"}},
		{"both", []Order{order("o1", cancelled, 0)}, []Charge{charge("c1", "o1", succeeded)},
			map[string]Reservation{"o1": {State: reserved, Items: items}},
			expect{subjects: []string{"o1", "o1"}, detail: "not refunded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.check(t, CancelledHoldsNothing, checkCancelledHoldsNothing(tt.orders, tt.charges, tt.reservations))
		})
	}
}

func TestCheckStockBalanced(t *testing.T) {
	p1 := Stock{ProductID: "p1", OnHand: 5, Reserved: 2, Sold: 3, Loaded: 10}
	p2 := Stock{ProductID: "p2", OnHand: 7, Reserved: 0, Sold: 0, Loaded: 7}
	sold := func(st Stock, n int64) Stock { st.OnHand -= n - st.Sold; st.Sold = n; return st }
	res := map[string]Reservation{
		"o1": {State: committd, Items: []Item{{"p1", 1}}},
		"o2": {State: committd, Items: []Item{{"p1", 2}}},
		"o3": {State: reserved, Items: []Item{{"p1", 2}, {"p2", 4}}},
		"o4": {State: released, Items: []Item{{"p2", 5}}},
	}
	tests := []struct {
		name          string
		before, after []Stock
		reservations  map[string]Reservation
		want          expect
	}{
		{"balanced", []Stock{p1, p2}, []Stock{p1, p2}, res, expect{}},
		{"nothing sold", []Stock{p2}, []Stock{p2}, nil, expect{}},
		{"counters do not add up", []Stock{p1, {ProductID: "p2", OnHand: 6, Loaded: 7}}, []Stock{p1, p2}, res,
			expect{subjects: []string{"p2"}, detail: "on hand 6 + reserved 0 + sold 0 = 6, but 7 were loaded"}},
		{"negative counter", []Stock{p1, {ProductID: "p2", OnHand: -1, Reserved: 1}}, []Stock{p1}, res,
			expect{subjects: []string{"p2"}, detail: "negative stock: on hand -1", inFlight: 1}},
		{"sold differs from committed", []Stock{sold(p1, 4), p2}, []Stock{sold(p1, 4), p2}, res,
			expect{subjects: []string{"p1"}, detail: "sold 4, but the COMMITTED reservations of the orders hold 3"}},
		{"sold changed while reading", []Stock{p1, p2}, []Stock{sold(p1, 4), p2}, res, expect{inFlight: 1}},
		{"product gone in the second read", []Stock{p1, p2}, []Stock{p2}, res, expect{inFlight: 1}},
		{"committed for a product without stock", []Stock{p1}, []Stock{p1},
			map[string]Reservation{"o1": res["o1"], "o2": res["o2"], "o9": {State: committd, Items: []Item{{"p9", 3}}}},
			expect{subjects: []string{"p9"}, detail: "COMMITTED reservations hold 3 units, but inventory lists no stock"}},
		{"committed for a product loaded meanwhile", []Stock{p1}, []Stock{p1, {ProductID: "p9", Sold: 3, Loaded: 3}},
			map[string]Reservation{"o1": res["o1"], "o2": res["o2"], "o9": {State: committd, Items: []Item{{"p9", 3}}}},
			expect{inFlight: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.check(t, StockBalanced, checkStockBalanced(tt.before, tt.after, tt.reservations))
		})
	}
}

func TestCheckFulfilledOnce(t *testing.T) {
	tracked := func(o Order, tracking string) Order { o.TrackingID = tracking; return o }
	ship := map[string]Shipment{"o1": {ID: "s1", TrackingID: "T1"}}
	mail := map[string][]Message{"o1": {{ID: "m0", Kind: kindPlaced}, {ID: "m1", Kind: kindConfirmed}, {ID: "m2", Kind: kindShipped}}}
	old, young := 2*time.Minute, 5*time.Second
	tests := []struct {
		name      string
		orders    []Order
		shipments map[string]Shipment
		messages  map[string][]Message
		want      expect
	}{
		{"shipped and mailed", []Order{tracked(order("o1", confirmed, old), "T1")}, ship, mail, expect{}},
		{"tracking not recorded yet", []Order{order("o1", confirmed, old)}, ship, mail, expect{}},
		{"other statuses need neither", []Order{order("o2", pending, old), order("o3", cancelled, old)}, nil, nil, expect{}},
		{"young order without either is in flight", []Order{order("o1", confirmed, young)}, nil, nil, expect{inFlight: 1}},
		{"young order without shipment is in flight", []Order{order("o1", confirmed, young)}, nil, mail, expect{inFlight: 1}},
		{"no shipment", []Order{order("o1", confirmed, old)}, nil, mail,
			expect{subjects: []string{"o1"}, detail: "no shipment 2m0s after it was confirmed"}},
		{"no confirmation e-mail", []Order{order("o1", confirmed, old)}, ship,
			map[string][]Message{"o1": {{ID: "m0", Kind: kindPlaced}, {ID: "m2", Kind: kindShipped}}},
			expect{subjects: []string{"o1"}, detail: "no confirmation e-mail"}},
		{"two confirmation e-mails, young or not", []Order{order("o1", confirmed, young)}, ship,
			map[string][]Message{"o1": {{ID: "m1", Kind: kindConfirmed}, {ID: "m3", Kind: kindConfirmed}}},
			expect{subjects: []string{"o1"}, detail: "2 confirmation e-mails: m1, m3"}},
		{"second shipment", []Order{tracked(order("o1", confirmed, old), "T7")}, ship, mail,
			expect{subjects: []string{"o1"}, detail: "tracking id T7, but its shipment s1 has T1"}},
		{"old order missing both", []Order{order("o1", confirmed, old)}, nil, nil,
			expect{subjects: []string{"o1", "o1"}, detail: "no shipment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.check(t, FulfilledOnce, checkFulfilledOnce(tt.orders, tt.shipments, tt.messages, t0, grace))
		})
	}
}

func TestCheckOneOrderPerKeyIsNotObservable(t *testing.T) {
	r := checkOneOrderPerKey()
	if r.Invariant != OneOrderPerKey || !r.NotObservable || r.Status() != "NOT OBSERVABLE" || len(r.Violations) != 0 {
		t.Errorf("result %+v: want a NOT OBSERVABLE result of invariant 6 without violations", r)
	}
	if !strings.Contains(r.Note, "not observable through the API") || !strings.Contains(r.Note, "unique index") {
		t.Errorf("note %q: want it to say why and what guards the invariant", r.Note)
	}
}

func TestEvaluateChecksEveryInvariantInOrder(t *testing.T) {
	s := Snapshot{
		Now:          t0,
		Orders:       []Order{order("o1", pending, time.Hour), order("o2", cancelled, time.Hour)},
		Charges:      []Charge{charge("c1", "o2", succeeded)},
		StockBefore:  []Stock{{ProductID: "p1", OnHand: 1, Loaded: 1}},
		StockAfter:   []Stock{{ProductID: "p1", OnHand: 1, Loaded: 1}},
		Reservations: map[string]Reservation{},
	}
	rep := evaluate(s, grace)
	if rep.Orders != 2 || rep.Charges != 1 || rep.Products != 1 {
		t.Errorf("counts %d orders, %d charges, %d products; want 2, 1, 1", rep.Orders, rep.Charges, rep.Products)
	}
	if len(rep.Results) != 6 {
		t.Fatalf("%d results, want 6", len(rep.Results))
	}
	for i, r := range rep.Results {
		if r.Invariant != Invariant(i+1) {
			t.Errorf("result %d is for invariant %d", i, r.Invariant)
		}
	}
	var got []string
	for _, v := range rep.Violations() {
		got = append(got, v.Invariant.String()+" "+v.Subject)
	}
	want := []string{Settled.String() + " o1", CancelledHoldsNothing.String() + " o2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("violations %q, want %q", got, want)
	}
}

func TestMoneyString(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{usd(10, 0), "10 USD"},
		{usd(9, 990000000), "9.99 USD"},
		{usd(0, 5), "0.000000005 USD"},
		{usd(-1, -500000000), "-1.5 USD"},
		{Money{}, "0"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.m, got, tt.want)
		}
	}
}
