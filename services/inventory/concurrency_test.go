package inventory

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// TestConcurrentReservesNeverOversell races reservations for the last
// units from two stores on one database file (two replicas) and checks
// that exactly the stock there is gets held.
func TestConcurrentReservesNeverOversell(t *testing.T) {
	storagetest.Run(t, testConcurrentReservesNeverOversell)
}

func testConcurrentReservesNeverOversell(t *testing.T, engine string) {
	ctx := context.Background()
	path := storagetest.DSN(t, engine, "inventory")
	replicas := []*store{
		openTestStore(t, path, []seedStock{{"last", 10}}),
		openTestStore(t, path, nil),
	}
	const buyers = 20
	var wg sync.WaitGroup
	results := make([]reservation, buyers)
	errs := make([]error, buyers)
	start := make(chan struct{})
	for i := range buyers {
		wg.Go(func() {
			<-start
			results[i], errs[i] = replicas[i%2].reserve(ctx, fmt.Sprintf("order-%d", i), []item{{"last", 1}})
		})
	}
	close(start)
	wg.Wait()
	held := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("reserve %d: %v", i, errs[i])
		}
		switch r.State {
		case stateReserved:
			held++
		case stateRejected:
			if len(r.Shortages) != 1 || r.Shortages[0].Available != 0 {
				t.Errorf("rejected %s with shortages %v, want last: available 0", r.OrderID, r.Shortages)
			}
		default:
			t.Errorf("reservation %s is %v", r.OrderID, r.State)
		}
	}
	if held != 10 {
		t.Errorf("%d reservations held stock, want exactly 10", held)
	}
	wantCounts(t, replicas[0], "last", 0, 10, 0)
}

// TestConcurrentSameOrder races one order's Reserve, Release and Commit
// from two replicas and checks stock is held at most once, whatever wins.
func TestConcurrentSameOrder(t *testing.T) {
	storagetest.Run(t, testConcurrentSameOrder)
}

func testConcurrentSameOrder(t *testing.T, engine string) {
	ctx := context.Background()
	// Each round races its own order on its own product, in one database.
	const rounds = 10
	var seeds []seedStock
	for round := range rounds {
		seeds = append(seeds, seedStock{fmt.Sprintf("x%d", round), 50})
	}
	path := storagetest.DSN(t, engine, "inventory")
	replicas := []*store{openTestStore(t, path, seeds), openTestStore(t, path, nil)}
	for round := range rounds {
		order, product := fmt.Sprintf("o%d", round), fmt.Sprintf("x%d", round)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 8 {
			st := replicas[i%2]
			wg.Go(func() {
				<-start
				var err error
				switch i % 4 {
				case 0, 1:
					_, err = st.reserve(ctx, order, []item{{product, 7}})
				case 2:
					_, err = st.release(ctx, order)
				case 3:
					_, err = st.commit(ctx, order)
				}
				// Commit may find no reservation or a released one, and
				// Release a committed one: all are answers, not faults.
				if err != nil && !isStateError(err) {
					t.Errorf("op %d: %v", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		r, err := replicas[0].reservation(ctx, order)
		if err != nil {
			t.Fatalf("reservation: %v", err)
		}
		s := mustStock(t, replicas[0], product)
		want := map[state][3]int64{
			stateReserved:  {43, 7, 0},
			stateReleased:  {50, 0, 0},
			stateCommitted: {43, 0, 7},
		}[r.State]
		if got := [3]int64{s.OnHand, s.Reserved, s.Sold}; got != want {
			t.Errorf("round %d: %v reservation with stock %v, want %v", round, r.State, got, want)
		}
	}
}

// TestRandomOperationsKeepInvariant runs random Reserve, Release and
// Commit calls against a model and checks, after every step, that each
// product's on_hand + reserved + sold equals what was loaded and matches
// the model.
func TestRandomOperationsKeepInvariant(t *testing.T) {
	storagetest.Run(t, testRandomOperationsKeepInvariant)
}

func testRandomOperationsKeepInvariant(t *testing.T, engine string) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	loaded := map[string]int64{"apron": 10, "bottle": 3, "candle": 100}
	st := newTestStore(t, engine)
	products := []string{"apron", "bottle", "candle", "ghost"}

	type modelStock struct{ onHand, reserved, sold int64 }
	m := map[string]*modelStock{}
	for id, n := range loaded {
		m[id] = &modelStock{onHand: n}
	}
	orders := map[string]reservation{} // the model's reservations

	for step := range 400 {
		orderID := fmt.Sprintf("o%d", rng.IntN(40))
		prev, known := orders[orderID]
		switch rng.IntN(3) {
		case 0:
			var items []item
			for _, i := range rng.Perm(len(products))[:1+rng.IntN(3)] {
				items = append(items, item{products[i], int32(1 + rng.IntN(6))})
			}
			r, err := st.reserve(ctx, orderID, items)
			if err != nil {
				t.Fatalf("step %d: reserve: %v", step, err)
			}
			if known {
				if r.State != prev.State {
					t.Fatalf("step %d: reserve of known %s order answered %v", step, prev.State, r.State)
				}
				break
			}
			ok := true
			for _, it := range items {
				if ms := m[it.ProductID]; ms == nil || ms.onHand < int64(it.Quantity) {
					ok = false
				}
			}
			if ok != (r.State == stateReserved) {
				t.Fatalf("step %d: reserve %v answered %v, model says available=%v", step, items, r.State, ok)
			}
			if ok {
				for _, it := range items {
					m[it.ProductID].onHand -= int64(it.Quantity)
					m[it.ProductID].reserved += int64(it.Quantity)
				}
			}
			orders[orderID] = r
		case 1:
			r, err := st.release(ctx, orderID)
			if known && prev.State == stateCommitted {
				if !isStateError(err) {
					t.Fatalf("step %d: release of committed = %v", step, err)
				}
				break
			}
			if err != nil {
				t.Fatalf("step %d: release: %v", step, err)
			}
			if known && prev.State == stateReserved {
				for _, it := range prev.Items {
					m[it.ProductID].onHand += int64(it.Quantity)
					m[it.ProductID].reserved -= int64(it.Quantity)
				}
			}
			orders[orderID] = r
		case 2:
			r, err := st.commit(ctx, orderID)
			if !known || (prev.State != stateReserved && prev.State != stateCommitted) {
				if !isStateError(err) {
					t.Fatalf("step %d: commit of %v order = %v", step, prev.State, err)
				}
				break
			}
			if err != nil {
				t.Fatalf("step %d: commit: %v", step, err)
			}
			if prev.State == stateReserved {
				for _, it := range prev.Items {
					m[it.ProductID].reserved -= int64(it.Quantity)
					m[it.ProductID].sold += int64(it.Quantity)
				}
			}
			orders[orderID] = r
		}
		for id, ms := range m {
			s := mustStock(t, st, id) // checks on_hand + reserved + sold = loaded
			if s.Loaded != loaded[id] || s.OnHand != ms.onHand || s.Reserved != ms.reserved || s.Sold != ms.sold {
				t.Fatalf("step %d: %s stock %+v, model %+v (loaded %d)", step, id, s, *ms, loaded[id])
			}
		}
	}
}

// isStateError reports whether err is an answer about a reservation's
// state rather than a fault.
func isStateError(err error) bool {
	for _, e := range []error{errNoReservation, errNotReserved, errCommitted} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
