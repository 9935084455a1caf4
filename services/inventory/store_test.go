package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// testTime is the fixed time test stores stamp on changes.
var testTime = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// testSeed is a small stock for store tests.
func testSeed() []seedStock {
	return []seedStock{{"apron", 10}, {"bottle", 3}, {"candle", 100}}
}

// openTestStore opens a store on the database at path (a DSN) with the real
// outbox, loaded with seeds, threshold 5.
func openTestStore(t *testing.T, path string, seeds []seedStock) *store {
	t.Helper()
	ctx := context.Background()
	db, err := openDB(ctx, path)
	if err != nil {
		t.Fatalf("openDB: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	st := &store{db: db, events: events.NewOutbox(db, "inventory", events.Telemetry{}), lowThreshold: 5, now: func() time.Time { return testTime }}
	if _, err := st.seed(ctx, seeds); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return st
}

func newTestStore(t *testing.T, engine string) *store {
	t.Helper()
	return openTestStore(t, storagetest.DSN(t, engine, "inventory"), testSeed())
}

// outboxEvent is one stored event, decoded.
type outboxEvent struct {
	Type, Aggregate string
	Env             *eventsv1.Envelope
}

// outboxEvents returns the events in the outbox, oldest first.
func outboxEvents(t *testing.T, st *store) []outboxEvent {
	t.Helper()
	rows, err := st.db.QueryContext(context.Background(), `SELECT envelope FROM events_outbox ORDER BY seq`)
	if err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	defer rows.Close()
	var out []outboxEvent
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatalf("scan outbox: %v", err)
		}
		env := &eventsv1.Envelope{}
		if err := proto.Unmarshal(b, env); err != nil {
			t.Fatalf("decode envelope: %v", err)
		}
		out = append(out, outboxEvent{Type: env.GetType(), Aggregate: env.GetAggregateId(), Env: env})
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	return out
}

// eventsOfType returns the outbox events of type typ.
func eventsOfType(t *testing.T, st *store, typ string) []outboxEvent {
	t.Helper()
	var out []outboxEvent
	for _, e := range outboxEvents(t, st) {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// mustStock returns a product's stock and checks the invariant.
func mustStock(t *testing.T, st *store, id string) stock {
	t.Helper()
	s, err := st.getStock(context.Background(), id)
	if err != nil {
		t.Fatalf("getStock(%s): %v", id, err)
	}
	if s.OnHand+s.Reserved+s.Sold != s.Loaded {
		t.Fatalf("%s: on_hand %d + reserved %d + sold %d != loaded %d", id, s.OnHand, s.Reserved, s.Sold, s.Loaded)
	}
	return s
}

// wantCounts checks a product's on_hand, reserved and sold.
func wantCounts(t *testing.T, st *store, id string, onHand, reserved, sold int64) {
	t.Helper()
	s := mustStock(t, st, id)
	if s.OnHand != onHand || s.Reserved != reserved || s.Sold != sold {
		t.Errorf("%s: on_hand/reserved/sold = %d/%d/%d, want %d/%d/%d", id, s.OnHand, s.Reserved, s.Sold, onHand, reserved, sold)
	}
}

func TestSeedOnlyWhenEmpty(t *testing.T) {
	storagetest.Run(t, testSeedOnlyWhenEmpty)
}

func testSeedOnlyWhenEmpty(t *testing.T, engine string) {
	ctx := context.Background()
	path := storagetest.DSN(t, engine, "inventory")
	st := openTestStore(t, path, testSeed())
	if _, err := st.reserve(ctx, "o1", []item{{"apron", 4}}); err != nil {
		t.Fatalf("reserve: %v", err)
	}
	seeded, err := st.seed(ctx, []seedStock{{"apron", 999}, {"other", 1}})
	if err != nil || seeded {
		t.Fatalf("second seed = %v, %v; want false, nil", seeded, err)
	}
	wantCounts(t, st, "apron", 6, 4, 0)
	if _, err := st.getStock(ctx, "other"); !errors.Is(err, errUnknownProduct) {
		t.Errorf("getStock(other) = %v, want errUnknownProduct", err)
	}
	// A reopened database keeps its stock.
	again := openTestStore(t, path, []seedStock{{"apron", 999}})
	wantCounts(t, again, "apron", 6, 4, 0)
}

func TestEmbeddedSeedCoversCatalog(t *testing.T) {
	seeds, err := loadSeed()
	if err != nil {
		t.Fatalf("loadSeed: %v", err)
	}
	// The catalog's seed is read as data, not imported: inventory must
	// stock exactly the products the catalog sells.
	raw, err := os.ReadFile(filepath.Join("..", "catalog", "seed", "products.json"))
	if err != nil {
		t.Fatalf("read catalog seed: %v", err)
	}
	var catalog struct {
		Products []struct {
			ID string `json:"id"`
		} `json:"products"`
	}
	if err := json.Unmarshal(raw, &catalog); err != nil {
		t.Fatalf("decode catalog seed: %v", err)
	}
	var want, got []string
	for _, p := range catalog.Products {
		want = append(want, p.ID)
	}
	low := 0
	for _, s := range seeds {
		got = append(got, s.ProductID)
		if s.Quantity < DefaultLowStockThreshold {
			low++
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("seed products = %v, want the catalog's %v", got, want)
	}
	if len(got) != 42 {
		t.Errorf("seed has %d products, want 42", len(got))
	}
	if low == 0 {
		t.Error("no product is seeded low; the sold-out paths are unreachable")
	}
}

func TestReserveAllOrNothing(t *testing.T) {
	storagetest.Run(t, testReserveAllOrNothing)
}

func testReserveAllOrNothing(t *testing.T, engine string) {
	tests := []struct {
		name      string
		items     []item
		wantState state
		wantShort []shortage
		// on_hand of apron, bottle, candle afterwards
		wantOnHand [3]int64
	}{
		{"all available", []item{{"apron", 4}, {"bottle", 3}}, stateReserved, nil, [3]int64{6, 0, 100}},
		{"one short", []item{{"apron", 4}, {"bottle", 4}}, stateRejected, []shortage{{"bottle", 4, 3}}, [3]int64{10, 3, 100}},
		{"unknown product", []item{{"candle", 1}, {"ghost", 1}}, stateRejected, []shortage{{"ghost", 1, 0}}, [3]int64{10, 3, 100}},
		{"all short", []item{{"apron", 11}, {"bottle", 9}}, stateRejected, []shortage{{"apron", 11, 10}, {"bottle", 9, 3}}, [3]int64{10, 3, 100}},
		{"exactly everything", []item{{"apron", 10}, {"bottle", 3}, {"candle", 100}}, stateReserved, nil, [3]int64{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStore(t, engine)
			r, err := st.reserve(context.Background(), "order-1", tt.items)
			if err != nil {
				t.Fatalf("reserve: %v", err)
			}
			if r.State != tt.wantState {
				t.Errorf("state = %v, want %v", r.State, tt.wantState)
			}
			if !slices.Equal(r.Shortages, tt.wantShort) {
				t.Errorf("shortages = %v, want %v", r.Shortages, tt.wantShort)
			}
			if !slices.Equal(r.Items, tt.items) {
				t.Errorf("items = %v, want %v", r.Items, tt.items)
			}
			for i, id := range []string{"apron", "bottle", "candle"} {
				if s := mustStock(t, st, id); s.OnHand != tt.wantOnHand[i] {
					t.Errorf("%s on_hand = %d, want %d", id, s.OnHand, tt.wantOnHand[i])
				}
			}
			typ := "stock.reserved"
			if tt.wantState == stateRejected {
				typ = "stock.rejected"
			}
			if evs := eventsOfType(t, st, typ); len(evs) != 1 || evs[0].Aggregate != "order-1" {
				t.Errorf("%s events = %v, want one for order-1", typ, evs)
			}
			stored, err := st.reservation(context.Background(), "order-1")
			if err != nil {
				t.Fatalf("reservation: %v", err)
			}
			if stored.State != r.State || !slices.Equal(stored.Items, r.Items) || !slices.Equal(stored.Shortages, r.Shortages) || !stored.CreateTime.Equal(testTime) {
				t.Errorf("stored reservation = %+v, want %+v", stored, r)
			}
		})
	}
}

func TestReserveIsIdempotentPerOrder(t *testing.T) {
	storagetest.Run(t, testReserveIsIdempotentPerOrder)
}

func testReserveIsIdempotentPerOrder(t *testing.T, engine string) {
	ctx := context.Background()
	st := newTestStore(t, engine)
	first, err := st.reserve(ctx, "o1", []item{{"apron", 4}})
	if err != nil {
		t.Fatalf("reserve: %v", err)
	}
	// Same order again, even with other items: the same reservation, no
	// further stock held.
	for _, items := range [][]item{{{"apron", 4}}, {{"candle", 50}}} {
		again, err := st.reserve(ctx, "o1", items)
		if err != nil {
			t.Fatalf("reserve again: %v", err)
		}
		if again.State != stateReserved || !slices.Equal(again.Items, first.Items) {
			t.Errorf("second reserve = %+v, want %+v", again, first)
		}
	}
	wantCounts(t, st, "apron", 6, 4, 0)
	wantCounts(t, st, "candle", 100, 0, 0)
	if n := len(eventsOfType(t, st, "stock.reserved")); n != 1 {
		t.Errorf("%d stock.reserved events, want 1", n)
	}
	// After a commit, Reserve answers with the COMMITTED reservation.
	if _, err := st.commit(ctx, "o1"); err != nil {
		t.Fatalf("commit: %v", err)
	}
	r, err := st.reserve(ctx, "o1", []item{{"apron", 4}})
	if err != nil || r.State != stateCommitted {
		t.Errorf("reserve after commit = %v, %v; want COMMITTED", r.State, err)
	}
	wantCounts(t, st, "apron", 6, 0, 4)
	// A rejected order stays rejected even when stock arrives for it.
	rej, err := st.reserve(ctx, "o2", []item{{"bottle", 4}})
	if err != nil || rej.State != stateRejected {
		t.Fatalf("reserve o2 = %v, %v; want REJECTED", rej.State, err)
	}
	rej, err = st.reserve(ctx, "o2", []item{{"bottle", 1}})
	if err != nil || rej.State != stateRejected {
		t.Errorf("reserve o2 again = %v, %v; want REJECTED", rej.State, err)
	}
	wantCounts(t, st, "bottle", 3, 0, 0)
}

func TestReleaseBeforeReserve(t *testing.T) {
	storagetest.Run(t, testReleaseBeforeReserve)
}

func testReleaseBeforeReserve(t *testing.T, engine string) {
	ctx := context.Background()
	st := newTestStore(t, engine)
	r, err := st.release(ctx, "late")
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	if r.State != stateReleased || len(r.Items) != 0 {
		t.Errorf("release of unknown order = %+v, want RELEASED with no items", r)
	}
	r, err = st.reserve(ctx, "late", []item{{"apron", 2}})
	if err != nil {
		t.Fatalf("reserve: %v", err)
	}
	if r.State != stateReleased || len(r.Items) != 0 {
		t.Errorf("reserve after release = %+v, want the RELEASED reservation", r)
	}
	wantCounts(t, st, "apron", 10, 0, 0)
	if _, err := st.commit(ctx, "late"); !errors.Is(err, errNotReserved) {
		t.Errorf("commit after release = %v, want errNotReserved", err)
	}
	if n := len(outboxEvents(t, st)); n != 0 {
		t.Errorf("%d events for an order that never held stock, want 0", n)
	}
}

func TestTransitions(t *testing.T) {
	storagetest.Run(t, testTransitions)
}

func testTransitions(t *testing.T, engine string) {
	// Each case brings order "o" to a state, then applies op and checks
	// the answer and apron's counts (10 loaded; reserving asks for 4).
	type op func(*store) (reservation, error)
	reserve := func(n int32) op {
		return func(st *store) (reservation, error) {
			return st.reserve(context.Background(), "o", []item{{"apron", n}})
		}
	}
	release := func(st *store) (reservation, error) { return st.release(context.Background(), "o") }
	commit := func(st *store) (reservation, error) { return st.commit(context.Background(), "o") }
	tests := []struct {
		name      string
		setup     []op
		do        op
		wantState state
		wantErr   error
		counts    [3]int64
	}{
		{"release reserved", []op{reserve(4)}, release, stateReleased, nil, [3]int64{10, 0, 0}},
		{"release twice", []op{reserve(4), release}, release, stateReleased, nil, [3]int64{10, 0, 0}},
		{"release rejected", []op{reserve(11)}, release, stateRejected, nil, [3]int64{10, 0, 0}},
		{"release committed", []op{reserve(4), commit}, release, 0, errCommitted, [3]int64{6, 0, 4}},
		{"commit reserved", []op{reserve(4)}, commit, stateCommitted, nil, [3]int64{6, 0, 4}},
		{"commit twice", []op{reserve(4), commit}, commit, stateCommitted, nil, [3]int64{6, 0, 4}},
		{"commit released", []op{reserve(4), release}, commit, 0, errNotReserved, [3]int64{10, 0, 0}},
		{"commit rejected", []op{reserve(11)}, commit, 0, errNotReserved, [3]int64{10, 0, 0}},
		{"commit never reserved", nil, commit, 0, errNoReservation, [3]int64{10, 0, 0}},
		{"release never reserved", nil, release, stateReleased, nil, [3]int64{10, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStore(t, engine)
			for i, o := range tt.setup {
				if _, err := o(st); err != nil {
					t.Fatalf("setup step %d: %v", i, err)
				}
			}
			r, err := tt.do(st)
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			case tt.wantErr == nil && err != nil:
				t.Errorf("err = %v", err)
			case tt.wantErr == nil && r.State != tt.wantState:
				t.Errorf("state = %v, want %v", r.State, tt.wantState)
			}
			wantCounts(t, st, "apron", tt.counts[0], tt.counts[1], tt.counts[2])
		})
	}
}

func TestStockLowOncePerCrossing(t *testing.T) {
	storagetest.Run(t, testStockLowOncePerCrossing)
}

func testStockLowOncePerCrossing(t *testing.T, engine string) {
	ctx := context.Background()
	st := newTestStore(t, engine) // apron: 10, threshold 5
	step := func(what string, f func() (reservation, error)) {
		t.Helper()
		if _, err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	lows := func() []int64 {
		var out []int64
		for _, e := range eventsOfType(t, st, "stock.low") {
			var ev eventsv1.StockLow
			if err := events.Unpack(e.Env, &ev); err != nil {
				t.Fatalf("unpack: %v", err)
			}
			if ev.GetProductId() != "apron" || e.Aggregate != "apron" || ev.GetThreshold() != 5 {
				t.Errorf("stock.low = %v (aggregate %s), want apron with threshold 5", &ev, e.Aggregate)
			}
			out = append(out, ev.GetAvailable())
		}
		return out
	}
	step("reserve 5", func() (reservation, error) { return st.reserve(ctx, "a", []item{{"apron", 5}}) })
	if got := lows(); len(got) != 0 {
		t.Fatalf("on_hand 5 sent stock.low %v; the threshold is not below itself", got)
	}
	step("reserve 1", func() (reservation, error) { return st.reserve(ctx, "b", []item{{"apron", 1}}) })
	step("reserve 2", func() (reservation, error) { return st.reserve(ctx, "c", []item{{"apron", 2}}) })
	step("commit b", func() (reservation, error) { return st.commit(ctx, "b") })
	if got := lows(); !slices.Equal(got, []int64{4}) {
		t.Fatalf("after dropping to 4 then 2: stock.low availables %v, want [4]", got)
	}
	step("release a", func() (reservation, error) { return st.release(ctx, "a") }) // back to 7: re-armed
	step("release c", func() (reservation, error) { return st.release(ctx, "c") }) // 9
	step("reserve 6", func() (reservation, error) { return st.reserve(ctx, "d", []item{{"apron", 6}}) })
	if got := lows(); !slices.Equal(got, []int64{4, 3}) {
		t.Errorf("after a second crossing: stock.low availables %v, want [4 3]", got)
	}
	// bottle was loaded at 3, below the threshold: no crossing, no event.
	step("reserve bottle", func() (reservation, error) { return st.reserve(ctx, "e", []item{{"bottle", 1}}) })
	for _, e := range eventsOfType(t, st, "stock.low") {
		if e.Aggregate == "bottle" {
			t.Errorf("stock.low for bottle, which never was above the threshold")
		}
	}
}
