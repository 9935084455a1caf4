package storefront

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
)

// Limits of page inputs.
const (
	maxQueryBytes     = 200 // catalog's own limit on search words
	maxPageTokenBytes = 512
	listingPageSize   = 24
	searchPageSize    = 48
)

// handleHome serves the home page, or a category listing for ?category=.
func (s *Storefront) handleHome(w http.ResponseWriter, r *http.Request) {
	s.listing(w, r, r.URL.Query().Get("category"))
}

// handleCategory serves GET /category/{id}.
func (s *Storefront) handleCategory(w http.ResponseWriter, r *http.Request) {
	s.listing(w, r, r.PathValue("id"))
}

// listing serves a page of products, of category when it is set.
func (s *Storefront) listing(w http.ResponseWriter, r *http.Request, category string) {
	ctx := r.Context()
	if category != "" && !validCategoryID(category) {
		s.renderFailure(w, r, failNoCategory())
		return
	}
	token := r.URL.Query().Get("page")
	if len(token) > maxPageTokenBytes {
		s.renderFailure(w, r, badRequest("That page number isn't valid."))
		return
	}
	c := s.fetchCommon(ctx, true)
	list, err := s.catalog.listProducts(ctx, category, token, listingPageSize)
	c.wait()
	if err != nil {
		s.renderFailure(w, r, catalogFailure(err, failNoCategory()))
		return
	}
	heading, subheading := "Featured products", "Hand-picked goods for every day."
	title := ""
	if category != "" {
		cat, ok := findCategory(c.cats, category)
		if !ok && c.cats != nil {
			s.renderFailure(w, r, failNoCategory())
			return
		}
		heading, subheading = cat.GetName(), cat.GetDescription()
		if heading == "" {
			heading = category // categories unavailable: the id must do
		}
		title = heading
	}
	want := s.sessionCurrency(r, c.currencies, c.known)
	p := s.priceProducts(ctx, c.currencies, c.known, list.value.GetProducts(), want, c.cats)

	d := newPage(r, c.layout(title, category, want, p.currency), p.notice, staleIf(list.stale || c.catsStale))
	d.Hero = category == "" && token == ""
	d.Heading, d.Subheading, d.Products = heading, subheading, p.products
	if next := list.value.GetNextPageToken(); next != "" {
		d.NextPage = listingURL(category, next)
	}
	s.render(w, r, http.StatusOK, "listing", d)
}

// findCategory returns the category with id.
func findCategory(cats []*catalogv1.Category, id string) (*catalogv1.Category, bool) {
	for _, c := range cats {
		if c.GetId() == id {
			return c, true
		}
	}
	return nil, false
}

// listingURL is the URL of a listing page.
func listingURL(category, token string) string {
	path := "/"
	if category != "" {
		path = "/category/" + url.PathEscape(category)
	}
	return path + "?" + url.Values{"page": {token}}.Encode()
}

// handleProduct serves GET /products/{id}: the product with its
// availability and the products bought with it, when inventory and
// recommendations answer in time.
func (s *Storefront) handleProduct(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	if !validProductID(id) {
		s.renderFailure(w, r, failNoProduct())
		return
	}
	c := s.fetchCommon(ctx, true)
	var stock *availability
	var recs []*catalogv1.Product
	var extras sync.WaitGroup
	extras.Go(func() { stock = s.availabilityOf(ctx, id) })
	extras.Go(func() { recs = s.recommendedFor(ctx, id) })
	got, err := s.catalog.getProduct(ctx, id)
	c.wait()
	extras.Wait()
	if err != nil {
		s.renderFailure(w, r, catalogFailure(err, failNoProduct()))
		return
	}
	product := got.value.GetProduct()
	if product == nil {
		s.log.ErrorContext(ctx, "catalog answered GetProduct without a product", "id", id)
		s.renderFailure(w, r, failInternal())
		return
	}
	want := s.sessionCurrency(r, c.currencies, c.known)
	all := append([]*catalogv1.Product{product}, recs...)
	p := s.priceProducts(ctx, c.currencies, c.known, all, want, c.cats)

	d := newPage(r, c.layout(product.GetName(), product.GetCategoryId(), want, p.currency), p.notice,
		staleIf(got.stale || c.catsStale))
	d.Product = &p.products[0]
	d.Recommendations = p.products[1:]
	d.Availability = stock
	d.AddKey = rand.Text()
	s.render(w, r, http.StatusOK, "product", d)
}

// handleSearch serves GET /search?q=&category=.
func (s *Storefront) handleSearch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	category := r.URL.Query().Get("category")
	if len(q) > maxQueryBytes {
		s.renderFailure(w, r, badRequest(fmt.Sprintf("Your search is too long. Please use at most %d characters.", maxQueryBytes)))
		return
	}
	if category != "" && !validCategoryID(category) {
		s.renderFailure(w, r, badRequest("Please choose a category from the list."))
		return
	}
	c := s.fetchCommon(ctx, true)
	found, err := s.catalog.searchProducts(ctx, q, category, searchPageSize)
	c.wait()
	if err != nil {
		s.renderFailure(w, r, catalogFailure(err, failNoCategory()))
		return
	}
	want := s.sessionCurrency(r, c.currencies, c.known)
	p := s.priceProducts(ctx, c.currencies, c.known, found.value.GetProducts(), want, c.cats)

	title, heading := "Search", "All products"
	if q != "" {
		title, heading = "Search: "+q, "Results for “"+q+"”"
	}
	d := newPage(r, c.layout(title, category, want, p.currency), p.notice, staleIf(found.stale || c.catsStale))
	d.Query, d.Heading, d.Products = q, heading, p.products
	d.Subheading = countProducts(len(p.products))
	s.render(w, r, http.StatusOK, "search", d)
}

// countProducts writes n products in words.
func countProducts(n int) string {
	switch n {
	case 0:
		return "No products match. Try fewer or different words."
	case 1:
		return "1 product"
	default:
		return fmt.Sprintf("%d products", n)
	}
}

// handleNotFound serves the friendly 404 page for every unknown path.
func (s *Storefront) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.renderFailure(w, r, failNotFound())
}
