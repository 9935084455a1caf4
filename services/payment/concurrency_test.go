package payment

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// TestConcurrentChargesChargeOnce races charges of one order with
// different keys from two stores on one database (two replicas): every
// call gets the one SUCCEEDED charge.
func TestConcurrentChargesChargeOnce(t *testing.T) {
	storagetest.Run(t, testConcurrentChargesChargeOnce)
}

func testConcurrentChargesChargeOnce(t *testing.T, engine string) {
	path := storagetest.DSN(t, engine, "payment")
	replicas := []*store{openTestStore(t, path), openTestStore(t, path)}
	var n atomic.Int64
	replicas[1].newID = func() string { return fmt.Sprintf("replica-b-%d", n.Add(1)) }
	const callers = 16
	ids := make([]string, callers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range callers {
		wg.Go(func() {
			<-start
			c, err := replicas[i%2].charge(context.Background(), req(t, "o1", fmt.Sprintf("k%d", i), usd(10, 0), cardSucceeds))
			if err != nil {
				t.Errorf("charge %d: %v", i, err)
				return
			}
			ids[i] = c.ID
		})
	}
	close(start)
	wg.Wait()
	for i, id := range ids {
		if id != ids[0] {
			t.Errorf("call %d got charge %s, call 0 got %s", i, id, ids[0])
		}
	}
	if page, _, err := replicas[0].listCharges(context.Background(), "o1", 0, 100); err != nil || len(page) != 1 {
		t.Errorf("o1 has %d charges (%v), want 1", len(page), err)
	}
	if net, n := ledgerNet(t, replicas[0], "o1"); net != 10_000_000_000 || n != 1 {
		t.Errorf("ledger = %d in %d entries, want one charge of 10", net, n)
	}
}

// TestRandomOperationsKeepInvariants runs random charges and refunds on a
// few orders and checks after every step what `bazaar verify` checks: no
// order has two successful charges, a refunded order holds no charge, and
// the ledger nets to what each order holds charged.
func TestRandomOperationsKeepInvariants(t *testing.T) {
	storagetest.Run(t, testRandomOperationsKeepInvariants)
}

func testRandomOperationsKeepInvariants(t *testing.T, engine string) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	st := newTestStore(t, engine)
	cards := []string{cardSucceeds, cardDeclined, cardInsufficientFunds, cardTransient, "5555555555554444"}
	for step := range 300 {
		order := fmt.Sprintf("o%d", rng.IntN(12))
		amount := usd(int64(10+rng.IntN(2)), 0) // sometimes a conflicting amount
		if rng.IntN(4) == 0 {
			if _, err := st.refund(ctx, order, fmt.Sprintf("r%d", step)); err != nil {
				t.Fatalf("step %d: refund: %v", step, err)
			}
		} else {
			key := fmt.Sprintf("k%d", rng.IntN(40)) // keys get reused, sometimes across orders
			_, err := st.charge(ctx, req(t, order, key, amount, cards[rng.IntN(len(cards))]))
			if err != nil && !errors.Is(err, errConflict) && !errors.Is(err, errRefunded) && !errors.Is(err, errTransient) {
				t.Fatalf("step %d: charge: %v", step, err)
			}
		}
		checkInvariants(t, st, step)
	}
}

// checkInvariants checks every order's charges, refund and ledger.
func checkInvariants(t *testing.T, st *store, step int) {
	t.Helper()
	ctx := context.Background()
	all, _, err := st.listCharges(ctx, "", 0, maxPageSize)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	held := map[string]int64{}
	successes := map[string]int{}
	for _, c := range all {
		n := c.Amount.GetUnits()*1_000_000_000 + int64(c.Amount.GetNanos())
		switch c.Status {
		case statusSucceeded:
			successes[c.OrderID]++
			held[c.OrderID] += n
			if _, err := st.refundOf(ctx, st.db, c.OrderID); err == nil {
				t.Fatalf("step %d: refunded order %s still holds SUCCEEDED charge %s", step, c.OrderID, c.ID)
			}
		case statusRefunded:
			successes[c.OrderID]++
			if _, err := st.refundOf(ctx, st.db, c.OrderID); err != nil {
				t.Fatalf("step %d: charge %s is REFUNDED but order %s has no refund: %v", step, c.ID, c.OrderID, err)
			}
		}
	}
	for order, n := range successes {
		if n > 1 {
			t.Fatalf("step %d: order %s has %d successful charges", step, order, n)
		}
	}
	for i := range 12 {
		order := fmt.Sprintf("o%d", i)
		if net, _ := ledgerNet(t, st, order); net != held[order] {
			t.Fatalf("step %d: order %s ledger nets %d, holds %d charged", step, order, net, held[order])
		}
	}
}
