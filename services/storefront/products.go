package storefront

import (
	"context"
	"sync"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxParallelLookups bounds the catalog calls one request makes at once.
const maxParallelLookups = 8

// lookup is what catalog answered for one product id.
type lookup struct {
	product *catalogv1.Product
	stale   bool
	gone    bool  // catalog does not know the product (any more)
	err     error // catalog could not answer and holds no copy
}

// lookupProducts gets each of ids from the catalog cache, a few at a
// time, and returns the answers in the order of ids.
func (s *Storefront) lookupProducts(ctx context.Context, ids []string) []lookup {
	out := make([]lookup, len(ids))
	sem := make(chan struct{}, maxParallelLookups)
	var wg sync.WaitGroup
	for i, id := range ids {
		if !validProductID(id) {
			out[i] = lookup{gone: true}
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			got, err := s.catalog.getProduct(ctx, id)
			switch {
			case status.Code(err) == codes.NotFound:
				out[i] = lookup{gone: true}
			case err != nil:
				out[i] = lookup{err: err}
			case got.value.GetProduct() == nil:
				out[i] = lookup{gone: true}
			default:
				out[i] = lookup{product: got.value.GetProduct(), stale: got.stale}
			}
		})
	}
	wg.Wait()
	return out
}

// productsOf returns the products of lookups that found one.
func productsOf(lookups []lookup) []*catalogv1.Product {
	out := make([]*catalogv1.Product, 0, len(lookups))
	for _, l := range lookups {
		if l.product != nil {
			out = append(out, l.product)
		}
	}
	return out
}
