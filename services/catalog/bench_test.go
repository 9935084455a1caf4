package catalog_test

import (
	"context"
	"testing"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
)

// BenchmarkListProducts is catalog's hot path: the home page's first
// page of products, over an in-memory gRPC connection.
func BenchmarkListProducts(b *testing.B) {
	svc, _ := newService(b)
	c := dial(b, svc)
	ctx := context.Background()
	req := &catalogv1.ListProductsRequest{PageSize: 24}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ListProducts(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetProduct is a product page's catalog call.
func BenchmarkGetProduct(b *testing.B) {
	svc, _ := newService(b)
	c := dial(b, svc)
	ctx := context.Background()
	req := &catalogv1.GetProductRequest{Id: "espresso-cup"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetProduct(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
