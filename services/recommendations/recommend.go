package recommendations

import (
	"context"
	"log/slog"
	"slices"
	"time"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
)

// recommender ranks products for a set of given ones.
type recommender struct {
	store *store
	// catalog fills in when there is no purchase data; nil for none.
	catalog        catalogv1.CatalogServiceClient
	catalogTimeout time.Duration
	logger         *slog.Logger
}

// recommend returns up to limit products for given (distinct ids), none
// of them one of given, best first:
//
//  1. the products most often bought together with the given ones,
//     scored by their co-purchase count;
//  2. then the most bought products overall, scored 0 (none of their
//     orders held a given product);
//  3. then, only when no order was counted at all, the catalog's first
//     products, scored 0. A catalog that fails or is slow leaves the
//     answer as it is.
func (r *recommender) recommend(ctx context.Context, given []string, limit int) ([]scored, error) {
	recs, err := r.store.coPurchased(ctx, given, limit)
	if err != nil {
		return nil, err
	}
	if len(recs) < limit {
		popular, err := r.store.popular(ctx, append(slices.Clone(given), ids(recs)...), limit-len(recs))
		if err != nil {
			return nil, err
		}
		for _, p := range popular {
			recs = append(recs, scored{ProductID: p.ProductID})
		}
	}
	if len(recs) > 0 || r.catalog == nil {
		return recs, nil
	}
	bought, err := r.store.hasPurchases(ctx)
	if err != nil || bought {
		return recs, err
	}
	return r.fromCatalog(ctx, given, limit), nil
}

// fromCatalog returns up to limit catalog products not among given, in
// the catalog's order, scored 0; none when the catalog fails.
func (r *recommender) fromCatalog(ctx context.Context, given []string, limit int) []scored {
	ctx, cancel := context.WithTimeout(ctx, r.catalogTimeout)
	defer cancel()
	resp, err := r.catalog.ListProducts(ctx, &catalogv1.ListProductsRequest{PageSize: int32(min(limit+len(given), 100))})
	if err != nil {
		r.logger.WarnContext(ctx, "catalog unavailable; recommending nothing", "error", err)
		return nil
	}
	var out []scored
	for _, p := range resp.GetProducts() {
		if len(out) == limit {
			break
		}
		if id := p.GetId(); id != "" && !slices.Contains(given, id) {
			out = append(out, scored{ProductID: id})
		}
	}
	return out
}

// ids returns the product ids of recs.
func ids(recs []scored) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ProductID
	}
	return out
}
