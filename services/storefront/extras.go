package storefront

import (
	"context"
	"fmt"
	"time"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
	"github.com/bazaar-shop/bazaar/platform/resilience"
	"github.com/bazaar-shop/bazaar/services/storefront/stalecache"
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
// InventoryTimeout, reusing an answer younger than AvailabilityFreshFor.
// It returns nil, and the page shows no line, when inventory is down,
// slow or does not know the product.
func (s *Storefront) availabilityOf(ctx context.Context, product string) *availability {
	res, err := s.extras.stock.Get(ctx, product, func(ctx context.Context) (*availability, error) {
		return s.fetchAvailability(ctx, product)
	})
	if err != nil {
		s.logCallFailure(ctx, "inventory", "BatchGetAvailability", err)
		return nil
	}
	return res.Value
}

// fetchAvailability asks inventory for product's stock line (nil when
// inventory does not know it).
func (s *Storefront) fetchAvailability(ctx context.Context, product string) (*availability, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.InventoryTimeout)
	defer cancel()
	resp, err := s.deps.Inventory.BatchGetAvailability(ctx, &inventoryv1.BatchGetAvailabilityRequest{ProductIds: []string{product}})
	if err != nil {
		return nil, err
	}
	for _, a := range resp.GetAvailabilities() {
		if a.GetProductId() == product {
			return describeStock(a.GetAvailable()), nil
		}
	}
	return nil, nil
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
// suggestions, reusing suggestions younger than RecommendationsFreshFor.
// It returns none when recommendations is down or slow; products catalog
// cannot tell about are skipped.
func (s *Storefront) recommendedFor(ctx context.Context, product string) []*catalogv1.Product {
	res, err := s.extras.recs.Get(ctx, product, func(ctx context.Context) ([]string, error) {
		return s.fetchRecommendations(ctx, product)
	})
	if err != nil {
		s.logCallFailure(ctx, "recommendations", "ListRecommendations", err)
		return nil
	}
	return productsOf(s.lookupProducts(ctx, res.Value))
}

// fetchRecommendations asks recommendations for the ids of products
// bought together with product: valid, distinct, at most
// recommendationCount.
func (s *Storefront) fetchRecommendations(ctx context.Context, product string) ([]string, error) {
	// Recommendations are optional: the first work an overloaded server sheds.
	ctx, cancel := context.WithTimeout(resilience.WithPriority(ctx, resilience.Sheddable), s.cfg.RecommendationsTimeout)
	defer cancel()
	resp, err := s.deps.Recommendations.ListRecommendations(ctx, &recommendationsv1.ListRecommendationsRequest{
		ProductIds: []string{product}, Limit: recommendationCount,
	})
	if err != nil {
		return nil, err
	}
	var ids []string
	seen := map[string]bool{product: true}
	for _, rec := range resp.GetRecommendations() {
		if id := rec.GetProductId(); !seen[id] && validProductID(id) && len(ids) < recommendationCount {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// maxCachedExtras bounds the products whose stock line and
// recommendations are kept.
const maxCachedExtras = 4096

// extrasCache keeps product pages' stock lines and recommendations for a
// short while, so a popular product's page does not ask inventory and
// recommendations on every view. Failures are not kept: the next view
// asks again, and an old answer is never served past its freshness.
type extrasCache struct {
	stock *stalecache.Cache[*availability]
	recs  *stalecache.Cache[[]string]
}

func newExtrasCache(cfg Config) (*extrasCache, error) {
	opts := func(fresh time.Duration) stalecache.Options {
		return stalecache.Options{FreshFor: fresh, StaleFor: fresh, MaxEntries: maxCachedExtras, Now: cfg.Now}
	}
	stock, err := stalecache.New[*availability](opts(cfg.AvailabilityFreshFor))
	if err != nil {
		return nil, fmt.Errorf("availability cache: %w", err)
	}
	recs, err := stalecache.New[[]string](opts(cfg.RecommendationsFreshFor))
	if err != nil {
		return nil, fmt.Errorf("recommendations cache: %w", err)
	}
	return &extrasCache{stock: stock, recs: recs}, nil
}
