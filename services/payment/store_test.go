package payment

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// testTime is the fixed time test stores stamp on changes.
var testTime = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// openTestStore opens a store on the database at path (a DSN) with the real
// outbox and sequential ids.
func openTestStore(t *testing.T, path string) *store {
	t.Helper()
	db, err := openDB(context.Background(), path)
	if err != nil {
		t.Fatalf("openDB: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var n atomic.Int64
	return &store{
		db:     db,
		events: events.NewOutbox(db, "payment", events.Telemetry{}),
		now:    func() time.Time { return testTime },
		newID:  func() string { return fmt.Sprintf("%s-%d", filepath.Base(path), n.Add(1)) },
	}
}

func newTestStore(t *testing.T, engine string) *store {
	t.Helper()
	return openTestStore(t, storagetest.DSN(t, engine, "payment"))
}

func usd(units int64, nanos int32) *typesv1.Money {
	return &typesv1.Money{CurrencyCode: "USD", Units: units, Nanos: nanos}
}

// req is a checked charge request for order with key, amount and card.
func req(t *testing.T, order, key string, amount *typesv1.Money, number string) chargeRequest {
	t.Helper()
	card, err := checkCard(goodCard(number), cardNow)
	if err != nil {
		t.Fatalf("checkCard(%s): %v", number, err)
	}
	return chargeRequest{OrderID: order, Key: key, Amount: amount, Card: card}
}

// mustCharge charges and fails the test on error.
func mustCharge(t *testing.T, st *store, r chargeRequest) charge {
	t.Helper()
	c, err := st.charge(context.Background(), r)
	if err != nil {
		t.Fatalf("charge %s/%s: %v", r.OrderID, r.Key, err)
	}
	return c
}

// outboxTypes returns the types of the events in the outbox, oldest
// first, with their decoded envelopes.
func outboxTypes(t *testing.T, st *store) ([]string, []*eventsv1.Envelope) {
	t.Helper()
	rows, err := st.db.QueryContext(context.Background(), `SELECT envelope FROM events_outbox ORDER BY seq`)
	if err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	defer rows.Close()
	var types []string
	var envs []*eventsv1.Envelope
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatalf("scan outbox: %v", err)
		}
		env := &eventsv1.Envelope{}
		if err := proto.Unmarshal(b, env); err != nil {
			t.Fatalf("decode envelope: %v", err)
		}
		types, envs = append(types, env.GetType()), append(envs, env)
	}
	return types, envs
}

// ledgerNet sums an order's ledger entries, in nanos of its currency.
func ledgerNet(t *testing.T, st *store, orderID string) (int64, int) {
	t.Helper()
	var net, n int64
	err := st.db.QueryRowContext(context.Background(),
		st.db.Dialect.Rebind(`SELECT COALESCE(SUM(units * 1000000000 + nanos), 0), COUNT(*) FROM ledger WHERE order_id = ?`), orderID).Scan(&net, &n)
	if err != nil {
		t.Fatalf("sum ledger: %v", err)
	}
	return net, int(n)
}

func TestChargeOutcomes(t *testing.T) {
	storagetest.Run(t, testChargeOutcomes)
}

func testChargeOutcomes(t *testing.T, engine string) {
	tests := []struct {
		number    string
		want      string
		wantEvent string
		ledger    int64
	}{
		{cardSucceeds, "CHARGE_STATUS_SUCCEEDED", "payment.succeeded", 12_500_000_000},
		{"5555555555554444", "CHARGE_STATUS_SUCCEEDED", "payment.succeeded", 12_500_000_000},
		{cardDeclined, "CHARGE_STATUS_DECLINED", "payment.failed", 0},
		{cardInsufficientFunds, "CHARGE_STATUS_INSUFFICIENT_FUNDS", "payment.failed", 0},
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			st := newTestStore(t, engine)
			c := mustCharge(t, st, req(t, "o1", "k1", usd(12, 500_000_000), tt.number))
			if c.Status.String() != tt.want || c.CardLastFour != tt.number[12:] || c.ID == "" || !c.CreateTime.Equal(testTime) {
				t.Errorf("charge = %+v, want %s with last four %s", c, tt.want, tt.number[12:])
			}
			if (c.FailureMessage == "") != (tt.want == "CHARGE_STATUS_SUCCEEDED") {
				t.Errorf("failure message %q for %s", c.FailureMessage, tt.want)
			}
			types, envs := outboxTypes(t, st)
			if len(types) != 1 || types[0] != tt.wantEvent || envs[0].GetAggregateId() != "o1" {
				t.Fatalf("events = %v, want one %s for o1", types, tt.wantEvent)
			}
			if net, _ := ledgerNet(t, st, "o1"); net != tt.ledger {
				t.Errorf("ledger net = %d, want %d", net, tt.ledger)
			}
			var brand string
			if err := st.db.QueryRow(st.db.Dialect.Rebind(`SELECT card_brand FROM charges WHERE id = ?`), c.ID).Scan(&brand); err != nil || brand == "" {
				t.Errorf("stored brand = %q, %v", brand, err)
			}
		})
	}
}

func TestChargeIsIdempotent(t *testing.T) {
	storagetest.Run(t, testChargeIsIdempotent)
}

func testChargeIsIdempotent(t *testing.T, engine string) {
	ctx := context.Background()
	st := newTestStore(t, engine)
	first := mustCharge(t, st, req(t, "o1", "k1", usd(20, 0), cardSucceeds))
	// The same key, and another key for the same order: the first charge.
	for _, key := range []string{"k1", "k2"} {
		again := mustCharge(t, st, req(t, "o1", key, usd(20, 0), "5555555555554444"))
		if again.ID != first.ID || again.Status != statusSucceeded || again.IdempotencyKey != "k1" {
			t.Errorf("charge again with %s = %+v, want the first charge %s", key, again, first.ID)
		}
	}
	conflicts := []chargeRequest{
		req(t, "o1", "k1", usd(21, 0), cardSucceeds),                                     // same key, other amount
		req(t, "o1", "k3", usd(20, 1), cardSucceeds),                                     // same order, other amount
		req(t, "o1", "k3", &typesv1.Money{CurrencyCode: "EUR", Units: 20}, cardSucceeds), // other currency
		req(t, "o2", "k1", usd(20, 0), cardSucceeds),                                     // key of another order
	}
	for i, r := range conflicts {
		if _, err := st.charge(ctx, r); !errors.Is(err, errConflict) {
			t.Errorf("conflict %d: err = %v, want errConflict", i, err)
		}
	}
	if types, _ := outboxTypes(t, st); len(types) != 1 {
		t.Errorf("events = %v, want only the first payment.succeeded", types)
	}
	if net, n := ledgerNet(t, st, "o1"); net != 20_000_000_000 || n != 1 {
		t.Errorf("ledger = %d in %d entries, want one entry of 20", net, n)
	}
}

func TestChargeAfterDeclineIsANewAttempt(t *testing.T) {
	storagetest.Run(t, testChargeAfterDeclineIsANewAttempt)
}

func testChargeAfterDeclineIsANewAttempt(t *testing.T, engine string) {
	st := newTestStore(t, engine)
	declined := mustCharge(t, st, req(t, "o1", "k1", usd(5, 0), cardDeclined))
	if again := mustCharge(t, st, req(t, "o1", "k1", usd(5, 0), cardSucceeds)); again.ID != declined.ID || again.Status != statusDeclined {
		t.Errorf("same key after decline = %+v, want the declined charge", again)
	}
	ok := mustCharge(t, st, req(t, "o1", "k2", usd(5, 0), cardSucceeds))
	if ok.ID == declined.ID || ok.Status != statusSucceeded {
		t.Errorf("new key after decline = %+v, want a new SUCCEEDED charge", ok)
	}
	if again := mustCharge(t, st, req(t, "o1", "k3", usd(5, 0), cardDeclined)); again.ID != ok.ID {
		t.Errorf("a third key = %+v, want the SUCCEEDED charge", again)
	}
	got, err := st.chargeOfOrder(context.Background(), st.db, "o1")
	if err != nil || got.ID != ok.ID {
		t.Errorf("chargeOfOrder = %+v, %v; want the SUCCEEDED one", got, err)
	}
}

func TestTransientCardSucceedsOnThirdAttempt(t *testing.T) {
	storagetest.Run(t, testTransientCardSucceedsOnThirdAttempt)
}

func testTransientCardSucceedsOnThirdAttempt(t *testing.T, engine string) {
	ctx := context.Background()
	st := newTestStore(t, engine)
	for _, order := range []string{"o1", "o2"} {
		for attempt := 1; attempt <= 2; attempt++ {
			_, err := st.charge(ctx, req(t, order, fmt.Sprintf("%s-k", order), usd(9, 0), cardTransient))
			if !errors.Is(err, errTransient) {
				t.Fatalf("%s attempt %d: err = %v, want errTransient", order, attempt, err)
			}
		}
		c := mustCharge(t, st, req(t, order, order+"-k", usd(9, 0), cardTransient))
		if c.Status != statusSucceeded || c.CardLastFour != "0119" {
			t.Errorf("%s attempt 3 = %+v, want SUCCEEDED", order, c)
		}
		// Later attempts answer with that charge.
		if again := mustCharge(t, st, req(t, order, order+"-k", usd(9, 0), cardTransient)); again.ID != c.ID {
			t.Errorf("%s attempt 4 = %+v, want %s", order, again, c.ID)
		}
	}
	if page, _, err := st.listCharges(ctx, "", 0, 100); err != nil || len(page) != 2 {
		t.Errorf("charges = %d, %v; want 2 (failed attempts store no charge)", len(page), err)
	}
}

func TestRefund(t *testing.T) {
	storagetest.Run(t, testRefund)
}

func testRefund(t *testing.T, engine string) {
	ctx := context.Background()
	st := newTestStore(t, engine)
	c := mustCharge(t, st, req(t, "o1", "k1", usd(30, 250_000_000), cardSucceeds))
	var first refund
	for i := range 2 {
		r, err := st.refund(ctx, "o1", fmt.Sprintf("r%d", i))
		if err != nil {
			t.Fatalf("refund %d: %v", i, err)
		}
		if i == 0 {
			first = r
		}
		if r.ID != first.ID || r.ChargeID != c.ID || !sameAmount(r.Amount, c.Amount) || r.IdempotencyKey != "r0" {
			t.Errorf("refund %d = %+v, want the first refund of %s in full", i, r, c.ID)
		}
	}
	got, err := st.chargeByID(ctx, c.ID)
	if err != nil || got.Status != statusRefunded {
		t.Errorf("charge after refund = %+v, %v; want REFUNDED", got, err)
	}
	if net, n := ledgerNet(t, st, "o1"); net != 0 || n != 2 {
		t.Errorf("ledger = %d in %d entries, want charge and refund netting 0", net, n)
	}
	if types, _ := outboxTypes(t, st); len(types) != 2 || types[1] != "payment.refunded" {
		t.Errorf("events = %v, want payment.succeeded then payment.refunded", types)
	}
	// The order is closed: a new key is refused, the old key answers.
	if _, err := st.charge(ctx, req(t, "o1", "k2", usd(30, 250_000_000), cardSucceeds)); !errors.Is(err, errRefunded) {
		t.Errorf("charge after refund = %v, want errRefunded", err)
	}
	if again := mustCharge(t, st, req(t, "o1", "k1", usd(30, 250_000_000), cardSucceeds)); again.ID != c.ID || again.Status != statusRefunded {
		t.Errorf("first key after refund = %+v, want the REFUNDED charge", again)
	}
}

func TestRefundWithoutCharge(t *testing.T) {
	storagetest.Run(t, testRefundWithoutCharge)
}

func testRefundWithoutCharge(t *testing.T, engine string) {
	ctx := context.Background()
	st := newTestStore(t, engine)
	// Never charged: a refund of nothing in no known currency.
	r, err := st.refund(ctx, "o1", "r1")
	if err != nil || r.ChargeID != "" || r.Amount != nil {
		t.Fatalf("refund of nothing = %+v, %v", r, err)
	}
	if _, err := st.charge(ctx, req(t, "o1", "k1", usd(5, 0), cardSucceeds)); !errors.Is(err, errRefunded) {
		t.Errorf("late charge = %v, want errRefunded", err)
	}
	// Declined only: zero in the order's currency.
	mustCharge(t, st, req(t, "o2", "k2", &typesv1.Money{CurrencyCode: "EUR", Units: 5}, cardDeclined))
	r, err = st.refund(ctx, "o2", "r2")
	if err != nil || r.ChargeID != "" || r.Amount.GetCurrencyCode() != "EUR" || r.Amount.GetUnits() != 0 {
		t.Errorf("refund after decline = %+v, %v; want EUR 0", r, err)
	}
	if types, _ := outboxTypes(t, st); len(types) != 1 || types[0] != "payment.failed" {
		t.Errorf("events = %v, want only payment.failed (nothing was refunded)", types)
	}
	if _, n := ledgerNet(t, st, "o2"); n != 0 {
		t.Errorf("%d ledger entries for an order never charged", n)
	}
}

func TestDatabaseRefusesSecondSuccess(t *testing.T) {
	storagetest.Run(t, testDatabaseRefusesSecondSuccess)
}

func testDatabaseRefusesSecondSuccess(t *testing.T, engine string) {
	st := newTestStore(t, engine)
	c := mustCharge(t, st, req(t, "o1", "k1", usd(1, 0), cardSucceeds))
	_, err := st.db.Exec(`INSERT INTO charges (id, order_id, idempotency_key, currency_code, units, nanos, status, card_last_four, card_brand, create_time, update_time)
		VALUES ('x', 'o1', 'kx', 'USD', 1, 0, 1, '4242', 'visa', '', '')`)
	if err == nil {
		t.Errorf("a second SUCCEEDED charge for the order of %s was stored", c.ID)
	}
}
