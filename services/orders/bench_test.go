package orders

import (
	"context"
	"fmt"
	"testing"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// BenchmarkPlaceOrder is "place order": a two-line checkout with a new
// idempotency key, validated, priced (catalog, pricing and shipping are
// fakes behind gRPC) and stored PENDING with its saga, card and
// order.placed event. The saga runner does not run, so this is the
// checkout request alone. It reports cpu-ns/op besides ns/op, which is
// mostly the commit's fsync.
func BenchmarkPlaceOrder(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	report := storagetest.ReportCPU(b)
	defer report()
	i := 0
	for b.Loop() {
		resp, err := e.svc.handler.PlaceOrder(ctx, request(fmt.Sprintf("key-%d", i)))
		if err != nil || resp.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_PENDING {
			b.Fatalf("PlaceOrder = %v, %v", resp, err)
		}
		i++
	}
}
