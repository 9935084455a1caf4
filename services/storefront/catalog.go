package storefront

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	"github.com/bazaar-shop/bazaar/services/storefront/stalecache"
)

// Bounds of the catalog caches, in keys. Answers are small (a page of 24
// products is a few tens of KiB), so the worst case stays around 40 MiB.
const (
	maxCachedLists    = 500
	maxCachedSearches = 500
	maxCachedProducts = 5000
	maxCachedImages   = 1000
)

// catalogCache calls catalog with a deadline and keeps the last good answer
// of every call (stale-while-error). Cached messages are shared between
// requests and must not be modified.
type catalogCache struct {
	client     catalogv1.CatalogServiceClient
	timeout    time.Duration
	log        *slog.Logger
	lists      *stalecache.Cache[*catalogv1.ListProductsResponse]
	searches   *stalecache.Cache[*catalogv1.SearchProductsResponse]
	products   *stalecache.Cache[*catalogv1.GetProductResponse]
	categories *stalecache.Cache[*catalogv1.ListCategoriesResponse]
	images     *stalecache.Cache[*catalogv1.GetProductImageResponse]
	// everything is the last warm copy of every product (catalogwarm.go).
	everything atomic.Pointer[[]*catalogv1.Product]
}

// fetched is a catalog answer and whether it is an old copy.
type fetched[V any] struct {
	value V
	// stale is set when value is a stored copy served because catalog
	// failed with err, age after it was fetched.
	stale bool
	age   time.Duration
	err   error
}

func newCatalogCache(cfg Config, client catalogv1.CatalogServiceClient, log *slog.Logger) (*catalogCache, error) {
	opts := func(maxEntries int) stalecache.Options {
		return stalecache.Options{
			FreshFor:   cfg.CatalogFreshFor,
			StaleFor:   cfg.StaleFor,
			MaxEntries: maxEntries,
			Now:        cfg.Now,
			ServeStale: dependencyDown,
		}
	}
	c := &catalogCache{client: client, timeout: cfg.CatalogTimeout, log: log}
	var err error
	if c.lists, err = stalecache.New[*catalogv1.ListProductsResponse](opts(maxCachedLists)); err != nil {
		return nil, err
	}
	if c.searches, err = stalecache.New[*catalogv1.SearchProductsResponse](opts(maxCachedSearches)); err != nil {
		return nil, err
	}
	if c.products, err = stalecache.New[*catalogv1.GetProductResponse](opts(maxCachedProducts)); err != nil {
		return nil, err
	}
	if c.categories, err = stalecache.New[*catalogv1.ListCategoriesResponse](opts(1)); err != nil {
		return nil, err
	}
	if c.images, err = stalecache.New[*catalogv1.GetProductImageResponse](opts(maxCachedImages)); err != nil {
		return nil, err
	}
	return c, nil
}

// cached gets key from cache, calling catalog method op with c's deadline
// on a miss. It logs the degradation when catalog fails.
func cached[V any](ctx context.Context, c *catalogCache, cache *stalecache.Cache[V], op, key string,
	call func(context.Context) (V, error)) (fetched[V], error) {
	res, err := cache.Get(ctx, key, func(ctx context.Context) (V, error) {
		ctx, cancel := context.WithTimeout(ctx, c.timeout)
		defer cancel()
		return call(ctx)
	})
	switch {
	case err != nil && dependencyDown(err):
		c.log.WarnContext(ctx, "catalog unavailable and no copy to serve", "op", op, "key", key, "err", err)
		return fetched[V]{}, err
	case err != nil:
		return fetched[V]{}, err
	case res.Stale:
		c.log.WarnContext(ctx, "catalog unavailable; serving last good copy",
			"op", op, "key", key, "age", res.Age.Round(time.Second).String(), "err", res.FetchErr)
	}
	return fetched[V]{value: res.Value, stale: res.Stale, age: res.Age, err: res.FetchErr}, nil
}

// listProducts returns a page of products, of one category when category
// is set.
func (c *catalogCache) listProducts(ctx context.Context, category, pageToken string, pageSize int32) (fetched[*catalogv1.ListProductsResponse], error) {
	key := category + "\x00" + pageToken + "\x00" + strconv.Itoa(int(pageSize))
	f, err := cached(ctx, c, c.lists, "ListProducts", key, func(ctx context.Context) (*catalogv1.ListProductsResponse, error) {
		return c.client.ListProducts(ctx, &catalogv1.ListProductsRequest{
			CategoryId: category, PageToken: pageToken, PageSize: pageSize,
		})
	})
	if err != nil {
		return f, fmt.Errorf("list products of category %q: %w", category, err)
	}
	return f, nil
}

// searchProducts returns the products matching query, of one category when
// category is set.
func (c *catalogCache) searchProducts(ctx context.Context, query, category string, pageSize int32) (fetched[*catalogv1.SearchProductsResponse], error) {
	key := query + "\x00" + category + "\x00" + strconv.Itoa(int(pageSize))
	f, err := cached(ctx, c, c.searches, "SearchProducts", key, func(ctx context.Context) (*catalogv1.SearchProductsResponse, error) {
		return c.client.SearchProducts(ctx, &catalogv1.SearchProductsRequest{
			Query: query, CategoryId: category, PageSize: pageSize,
		})
	})
	if err != nil && dependencyDown(err) {
		if resp, ok := c.offlineSearch(query, category, pageSize); ok {
			c.log.WarnContext(ctx, "catalog unavailable; searching the warm copy", "query", query, "err", err)
			return fetched[*catalogv1.SearchProductsResponse]{value: resp, stale: true, err: err}, nil
		}
	}
	if err != nil {
		return f, fmt.Errorf("search products for %q: %w", query, err)
	}
	return f, nil
}

// getProduct returns one product.
func (c *catalogCache) getProduct(ctx context.Context, id string) (fetched[*catalogv1.GetProductResponse], error) {
	f, err := cached(ctx, c, c.products, "GetProduct", id, func(ctx context.Context) (*catalogv1.GetProductResponse, error) {
		return c.client.GetProduct(ctx, &catalogv1.GetProductRequest{Id: id})
	})
	if err != nil {
		return f, fmt.Errorf("get product %s: %w", id, err)
	}
	return f, nil
}

// listCategories returns every category.
func (c *catalogCache) listCategories(ctx context.Context) (fetched[*catalogv1.ListCategoriesResponse], error) {
	f, err := cached(ctx, c, c.categories, "ListCategories", "", func(ctx context.Context) (*catalogv1.ListCategoriesResponse, error) {
		return c.client.ListCategories(ctx, &catalogv1.ListCategoriesRequest{})
	})
	if err != nil {
		return f, fmt.Errorf("list categories: %w", err)
	}
	return f, nil
}

// peekCategories returns the stored categories, if any, without calling
// catalog: for pages that must not wait on it (error pages).
func (c *catalogCache) peekCategories() []*catalogv1.Category {
	resp, _ := c.categories.Peek("")
	return resp.GetCategories()
}

// productImage returns a product's image.
func (c *catalogCache) productImage(ctx context.Context, id string) (fetched[*catalogv1.GetProductImageResponse], error) {
	f, err := cached(ctx, c, c.images, "GetProductImage", id, func(ctx context.Context) (*catalogv1.GetProductImageResponse, error) {
		return c.client.GetProductImage(ctx, &catalogv1.GetProductImageRequest{ProductId: id})
	})
	if err != nil {
		return f, fmt.Errorf("get image of product %s: %w", id, err)
	}
	return f, nil
}
