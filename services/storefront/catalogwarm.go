package storefront

import (
	"context"
	"fmt"
	"strings"
	"time"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
)

// The catalog warm-up: the storefront keeps a copy of every product, so
// that while catalog is down every product page can still be served (not
// only the ones shoppers happened to visit) and search still finds
// products, from the copy.

// warmPageSize is the page size of the warm-up's listing (catalog's
// maximum).
const warmPageSize = 100

// maxWarmProducts bounds the copy, like the product cache it fills.
const maxWarmProducts = maxCachedProducts

// warm lists every product and stores each as the answer to its
// GetProduct, and keeps the whole list for searches catalog cannot answer.
func (c *catalogCache) warm(ctx context.Context) error {
	var all []*catalogv1.Product
	token := ""
	for {
		ctx, cancel := context.WithTimeout(ctx, c.timeout)
		page, err := c.client.ListProducts(ctx, &catalogv1.ListProductsRequest{PageSize: warmPageSize, PageToken: token})
		cancel()
		if err != nil {
			return fmt.Errorf("warm the catalog copy: list products: %w", err)
		}
		all = append(all, page.GetProducts()...)
		token = page.GetNextPageToken()
		if token == "" || len(all) >= maxWarmProducts {
			break
		}
	}
	for _, p := range all {
		c.products.Put(p.GetId(), &catalogv1.GetProductResponse{Product: p})
	}
	c.everything.Store(&all)
	return nil
}

// offlineSearch answers a search from the warm copy: the products whose
// name, description or tags contain every word of query, of category when
// it is set. ok is false when there is no copy.
func (c *catalogCache) offlineSearch(query, category string, pageSize int32) (*catalogv1.SearchProductsResponse, bool) {
	all := c.everything.Load()
	if all == nil {
		return nil, false
	}
	words := strings.Fields(strings.ToLower(query))
	limit := int(pageSize)
	if limit <= 0 {
		limit = searchPageSize
	}
	resp := &catalogv1.SearchProductsResponse{}
	for _, p := range *all {
		if len(resp.Products) == limit {
			break
		}
		if category != "" && p.GetCategoryId() != category {
			continue
		}
		text := strings.ToLower(p.GetName() + " " + p.GetDescription() + " " + strings.Join(p.GetTags(), " "))
		if containsAll(text, words) {
			resp.Products = append(resp.Products, p)
		}
	}
	return resp, true
}

func containsAll(text string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// Background keeps the catalog copy warm: at once, then every time the
// catalog's answers stop being fresh; a failed warm-up is tried again
// sooner. The daemon runs it until the storefront drains.
func (s *Storefront) Background(ctx context.Context) {
	every := s.cfg.CatalogFreshFor
	retry := time.Second
	for {
		wait := every
		if err := s.catalog.warm(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.WarnContext(ctx, "catalog copy not refreshed; keeping the last one", "err", err)
			wait = retry
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
