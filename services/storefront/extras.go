package storefront

import (
	"context"
	"fmt"
	"github.com/bazaar-shop/bazaar/platform/resilience"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
)

// Product page extras.
const (
	// lowStock is the most units for which a page says "Only N left".
	lowStock = 5
	// recommendationCount is how many products the strip shows.
	recommendationCount = 4
)

// availability is a product page's stock line.
type availability struct {
	Text    string // "In stock", "Only 3 left", "Sold out"
	Class   string // "in", "low", "out"
	SoldOut bool
}

// availabilityOf asks inventory how many of product can be sold, within
// InventoryTimeout. It returns nil, and the page shows no line, when
// inventory is down, slow or does not know the product.
func (s *Storefront) availabilityOf(ctx context.Context, product string) *availability {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.InventoryTimeout)
	defer cancel()
	resp, err := s.deps.Inventory.BatchGetAvailability(ctx, &inventoryv1.BatchGetAvailabilityRequest{ProductIds: []string{product}})
	if err != nil {
		s.logCallFailure(ctx, "inventory", "BatchGetAvailability", err)
		return nil
	}
	for _, a := range resp.GetAvailabilities() {
		if a.GetProductId() == product {
			return describeStock(a.GetAvailable())
		}
	}
	return nil
}

// describeStock words n units available.
func describeStock(n int64) *availability {
	switch {
	case n <= 0:
		return &availability{Text: "Sold out", Class: "out", SoldOut: true}
	case n <= lowStock:
		return &availability{Text: fmt.Sprintf("Only %d left", n), Class: "low"}
	default:
		return &availability{Text: "In stock", Class: "in"}
	}
}

// recommendedFor returns up to recommendationCount products bought
// together with product, within RecommendationsTimeout for the
// suggestions. It returns none when recommendations is down or slow;
// products catalog cannot tell about are skipped.
func (s *Storefront) recommendedFor(ctx context.Context, product string) []*catalogv1.Product {
	// Recommendations are optional: the first work an overloaded server sheds.
	rctx, cancel := context.WithTimeout(resilience.WithPriority(ctx, resilience.Sheddable), s.cfg.RecommendationsTimeout)
	defer cancel()
	resp, err := s.deps.Recommendations.ListRecommendations(rctx, &recommendationsv1.ListRecommendationsRequest{
		ProductIds: []string{product}, Limit: recommendationCount,
	})
	if err != nil {
		s.logCallFailure(ctx, "recommendations", "ListRecommendations", err)
		return nil
	}
	var ids []string
	seen := map[string]bool{product: true}
	for _, rec := range resp.GetRecommendations() {
		if id := rec.GetProductId(); !seen[id] && validProductID(id) && len(ids) < recommendationCount {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return productsOf(s.lookupProducts(ctx, ids))
}
