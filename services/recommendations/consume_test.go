package recommendations

import (
	"context"
	"testing"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// counts returns every product's purchase count and every pair's count.
func counts(t *testing.T, svc *Service) (map[string]int64, map[[2]string]int64) {
	t.Helper()
	ctx := context.Background()
	products := map[string]int64{}
	rows, err := svc.store.db.QueryContext(ctx, `SELECT product_id, orders FROM product_purchases`)
	if err != nil {
		t.Fatalf("read counts: %v", err)
	}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatalf("read counts: %v", err)
		}
		products[id] = n
	}
	_ = rows.Close()
	pairs := map[[2]string]int64{}
	rows, err = svc.store.db.QueryContext(ctx, `SELECT product_id, other_id, orders FROM co_purchases`)
	if err != nil {
		t.Fatalf("read pairs: %v", err)
	}
	for rows.Next() {
		var a, b string
		var n int64
		if err := rows.Scan(&a, &b, &n); err != nil {
			t.Fatalf("read pairs: %v", err)
		}
		pairs[[2]string{a, b}] = n
	}
	_ = rows.Close()
	return products, pairs
}

func TestOrderConfirmedCountsOnce(t *testing.T) {
	storagetest.Run(t, testOrderConfirmedCountsOnce)
}

func testOrderConfirmedCountsOnce(t *testing.T, engine string) {
	svc := newTestService(t, engine, Deps{})
	env := confirmedEnv(t, "ev-1", "ord-1", "mug", "kettle", "mug", "")
	for delivery := 1; delivery <= 2; delivery++ {
		applied, err := apply(t, svc, env)
		if err != nil || applied != (delivery == 1) {
			t.Fatalf("delivery %d: applied=%v err=%v", delivery, applied, err)
		}
	}
	// The same order under a new event id is not counted again.
	if _, err := apply(t, svc, confirmedEnv(t, "ev-2", "ord-1", "mug", "kettle")); err != nil {
		t.Fatalf("republish: %v", err)
	}
	products, pairs := counts(t, svc)
	if len(products) != 2 || products["mug"] != 1 || products["kettle"] != 1 {
		t.Errorf("product counts = %v, want mug and kettle once", products)
	}
	if len(pairs) != 2 || pairs[[2]string{"mug", "kettle"}] != 1 || pairs[[2]string{"kettle", "mug"}] != 1 {
		t.Errorf("pair counts = %v, want mug-kettle once each way", pairs)
	}

	if _, err := apply(t, svc, confirmedEnv(t, "ev-3", "ord-2", "kettle", "tea")); err != nil {
		t.Fatalf("second order: %v", err)
	}
	products, pairs = counts(t, svc)
	if products["kettle"] != 2 || products["tea"] != 1 || pairs[[2]string{"kettle", "tea"}] != 1 || pairs[[2]string{"mug", "kettle"}] != 1 {
		t.Errorf("after a second order: products %v, pairs %v", products, pairs)
	}
}

func TestOrderConfirmedLimitsProductsPerOrder(t *testing.T) {
	storagetest.Run(t, testOrderConfirmedLimitsProductsPerOrder)
}

func testOrderConfirmedLimitsProductsPerOrder(t *testing.T, engine string) {
	svc := newTestService(t, engine, Deps{})
	var ids []string
	for i := range MaxProductsPerOrder + 5 {
		ids = append(ids, string(rune('a'+i/26))+string(rune('a'+i%26)))
	}
	if _, err := apply(t, svc, confirmedEnv(t, "ev-1", "ord-1", ids...)); err != nil {
		t.Fatalf("apply: %v", err)
	}
	products, pairs := counts(t, svc)
	if len(products) != MaxProductsPerOrder || len(pairs) != MaxProductsPerOrder*(MaxProductsPerOrder-1) {
		t.Fatalf("%d products, %d pairs counted; want %d and %d", len(products), len(pairs), MaxProductsPerOrder, MaxProductsPerOrder*(MaxProductsPerOrder-1))
	}
}

func TestOrderConfirmedPoisonIsPermanent(t *testing.T) {
	storagetest.Run(t, testOrderConfirmedPoisonIsPermanent)
}

func testOrderConfirmedPoisonIsPermanent(t *testing.T, engine string) {
	svc := newTestService(t, engine, Deps{})
	tests := []struct {
		name string
		env  *eventsv1.Envelope
	}{
		{"no order id", confirmedEnv(t, "ev-1", "", "mug")},
		{"other payload", envelopeOf(t, "ev-2", &eventsv1.OrderPlaced{OrderId: "ord-1"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := apply(t, svc, tt.env); !events.IsPermanent(err) {
				t.Fatalf("error = %v, want permanent", err)
			}
		})
	}
}
