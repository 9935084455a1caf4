package inventory

import (
	"context"
	"path/filepath"
	"testing"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
)

// BenchmarkBatchGetAvailability is a product page's call: one product's
// availability, over the handler and a SQLite store with the embedded
// seed.
func BenchmarkBatchGetAvailability(b *testing.B) {
	svc, err := New(context.Background(), Config{DSN: filepath.Join(b.TempDir(), "inventory.db")}, Deps{}, nil)
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	b.Cleanup(func() { _ = svc.Close() })
	ctx := context.Background()
	ids := []string{"espresso-cup", "cast-iron-skillet", "carbon-steel-chef-knife", "pour-over-coffee-set"}
	reqs := make([]*inventoryv1.BatchGetAvailabilityRequest, len(ids))
	for i, id := range ids {
		reqs[i] = &inventoryv1.BatchGetAvailabilityRequest{ProductIds: []string{id}}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		resp, err := svc.handler.BatchGetAvailability(ctx, reqs[i%len(reqs)])
		if err != nil || len(resp.GetAvailabilities()) != 1 {
			b.Fatalf("BatchGetAvailability = %v, %v; want one", resp, err)
		}
		i++
	}
}
