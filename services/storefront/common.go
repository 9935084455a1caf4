package storefront

import (
	"context"
	"sync"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
)

// common are the answers most requests need besides their own: the
// navigation's categories and pricing's currency list. They are fetched in
// the background, alongside the request's main catalog call, so that a
// slow dependency costs one deadline, not the sum of several.
type common struct {
	wg sync.WaitGroup

	cats      []*catalogv1.Category
	catsStale bool

	currencies currencyList
	known      bool // currencies came from pricing
}

// fetchCommon starts fetching the currency list and, when nav is set, the
// categories. Call wait before using them, and before the request ends.
func (s *Storefront) fetchCommon(ctx context.Context, nav bool) *common {
	c := &common{}
	if nav {
		c.wg.Go(func() { c.cats, c.catsStale = s.navCategories(ctx) })
	}
	c.wg.Go(func() { c.currencies, c.known = s.pricing.listCurrencies(ctx) })
	return c
}

// wait returns c once every fetch has ended.
func (c *common) wait() *common {
	c.wg.Wait()
	return c
}

// navCategories returns the categories for the navigation; a failure only
// leaves the navigation empty (it is logged where it happens).
func (s *Storefront) navCategories(ctx context.Context) ([]*catalogv1.Category, bool) {
	f, err := s.catalog.listCategories(ctx)
	if err != nil {
		return nil, false
	}
	return f.value.GetCategories(), f.stale
}

// layout returns the layout of a page titled title, marking category
// active, with the shopper's chosen currency and the one prices are in.
func (c *common) layout(title, active, chosen, shown string) layout {
	return layout{title: title, cats: c.cats, active: active, list: c.currencies, known: c.known, chosen: chosen, shown: shown}
}
