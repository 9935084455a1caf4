package cart

import (
	"context"
	"fmt"
	"testing"

	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// The cart's hot paths, each calling the handler over its real store on a
// SQLite file (see start), the catalog a fake behind gRPC. Each reports
// cpu-ns/op besides ns/op, which is mostly fsync for those that write.

// BenchmarkGetCart reads a three-line cart, as every page with the cart
// badge does.
func BenchmarkGetCart(b *testing.B) {
	f := start(b)
	ctx := context.Background()
	for i, p := range []string{"mug", "tea", "pen"} {
		addBench(b, f, "shopper", p, fmt.Sprintf("k%d", i))
	}
	req := &cartv1.GetCartRequest{ShopperId: "shopper"}
	b.ReportAllocs()
	report := storagetest.ReportCPU(b)
	defer report()
	for b.Loop() {
		resp, err := f.svc.handler.GetCart(ctx, req)
		if err != nil || len(resp.GetCart().GetItems()) != 3 {
			b.Fatalf("GetCart = %v, %v; want 3 lines", resp, err)
		}
	}
}

// BenchmarkAddItem is "cart add": one unit of a product with a new
// idempotency key, checked with the catalog. A shopper's cart takes 90
// additions over three products, then the next shopper's is used.
func BenchmarkAddItem(b *testing.B) {
	f := start(b)
	ctx := context.Background()
	products := []string{"mug", "tea", "pen"}
	b.ReportAllocs()
	report := storagetest.ReportCPU(b)
	defer report()
	i := 0
	for b.Loop() {
		req := &cartv1.AddItemRequest{
			ShopperId:      fmt.Sprintf("shopper-%d", i/90),
			ProductId:      products[i%len(products)],
			Quantity:       1,
			IdempotencyKey: fmt.Sprintf("key-%d", i),
		}
		if _, err := f.svc.handler.AddItem(ctx, req); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkMergeCarts is sign-in: a guest's cart merged into the user's.
// "empty-guest" is the common case, a guest who added nothing;
// "three-lines" moves a three-line cart back and forth between two
// shoppers, so every merge moves three lines into an empty cart.
func BenchmarkMergeCarts(b *testing.B) {
	b.Run("empty-guest", func(b *testing.B) {
		f := start(b)
		ctx := context.Background()
		for i, p := range []string{"mug", "tea", "pen"} {
			addBench(b, f, "user", p, fmt.Sprintf("k%d", i))
		}
		req := &cartv1.MergeCartsRequest{FromShopperId: "guest", ToShopperId: "user"}
		b.ReportAllocs()
		report := storagetest.ReportCPU(b)
		defer report()
		for b.Loop() {
			if resp, err := f.svc.handler.MergeCarts(ctx, req); err != nil || len(resp.GetCart().GetItems()) != 3 {
				b.Fatalf("MergeCarts = %v, %v; want 3 lines", resp, err)
			}
		}
	})
	b.Run("three-lines", func(b *testing.B) {
		f := start(b)
		ctx := context.Background()
		for i, p := range []string{"mug", "tea", "pen"} {
			addBench(b, f, "a", p, fmt.Sprintf("k%d", i))
		}
		reqs := []*cartv1.MergeCartsRequest{{FromShopperId: "a", ToShopperId: "b"}, {FromShopperId: "b", ToShopperId: "a"}}
		b.ReportAllocs()
		report := storagetest.ReportCPU(b)
		defer report()
		i := 0
		for b.Loop() {
			if resp, err := f.svc.handler.MergeCarts(ctx, reqs[i%2]); err != nil || len(resp.GetCart().GetItems()) != 3 {
				b.Fatalf("MergeCarts = %v, %v; want 3 lines", resp, err)
			}
			i++
		}
	})
}

// addBench adds one unit of product to shopper's cart.
func addBench(b *testing.B, f fixture, shopper, product, key string) {
	b.Helper()
	req := &cartv1.AddItemRequest{ShopperId: shopper, ProductId: product, Quantity: 1, IdempotencyKey: key}
	if _, err := f.svc.handler.AddItem(context.Background(), req); err != nil {
		b.Fatalf("AddItem(%s, %s): %v", shopper, product, err)
	}
}
