package recommendations

import (
	"context"
	"fmt"
	"testing"

	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
)

// BenchmarkListRecommendations is a product page's call: four products
// to go with one, over the handler and a SQLite store that counted 300
// orders of one to three of 42 products.
func BenchmarkListRecommendations(b *testing.B) {
	svc := newTestService(b, "sqlite", Deps{})
	for i := range 300 {
		products := []string{fmt.Sprintf("p%02d", i%42)}
		for j := 1; j <= i%3; j++ {
			products = append(products, fmt.Sprintf("p%02d", (i*7+j*11)%42))
		}
		id := fmt.Sprintf("ord-%d", i)
		if _, err := apply(b, svc, confirmedEnv(b, "ev-"+id, id, products...)); err != nil {
			b.Fatalf("apply order %d: %v", i, err)
		}
	}
	ctx := context.Background()
	reqs := make([]*recommendationsv1.ListRecommendationsRequest, 42)
	for i := range reqs {
		reqs[i] = &recommendationsv1.ListRecommendationsRequest{ProductIds: []string{fmt.Sprintf("p%02d", i)}, Limit: 4}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		resp, err := svc.handler.ListRecommendations(ctx, reqs[i%len(reqs)])
		if err != nil || len(resp.GetRecommendations()) != 4 {
			b.Fatalf("ListRecommendations = %v, %v; want 4", resp, err)
		}
		i++
	}
}
