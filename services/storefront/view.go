package storefront

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
)

// productView is a product ready to show: its price converted and
// formatted. Pages and the JSON API are both built from it.
type productView struct {
	ID            string
	Name          string
	Description   string
	Paragraphs    []string // Description split at blank lines
	CategoryID    string
	CategoryName  string
	ImageURL      string
	Price         *typesv1.Money
	PriceDisplay  string
	WeightGrams   int32
	WeightDisplay string
	Tags          []string
}

// priced is a set of products priced in one currency.
type priced struct {
	products []productView
	currency string
	notice   string
	list     currencyList
	known    bool // list came from pricing
}

// priceProducts converts the products' prices to want with one pricing
// call, naming categories from cats.
func (s *Storefront) priceProducts(ctx context.Context, list currencyList, known bool, products []*catalogv1.Product, want string, cats []*catalogv1.Category) priced {
	amounts := make([]*typesv1.Money, len(products))
	for i, p := range products {
		amounts[i] = s.basePrice(p)
	}
	q := s.pricing.quote(ctx, list, known, amounts, want)
	views := make([]productView, len(products))
	for i, p := range products {
		views[i] = newProductView(p, q.amounts[i], q.display[i], cats)
	}
	return priced{products: views, currency: q.currency, notice: q.notice, list: list, known: known}
}

// basePrice returns p's price, or zero in the base currency when catalog
// sent a malformed one (so one bad product cannot break a page's batch).
func (s *Storefront) basePrice(p *catalogv1.Product) *typesv1.Money {
	if money.Validate(p.GetPrice()) == nil {
		return p.GetPrice()
	}
	return &typesv1.Money{CurrencyCode: s.cfg.BaseCurrency}
}

func newProductView(p *catalogv1.Product, price *typesv1.Money, display string, cats []*catalogv1.Category) productView {
	image := p.GetImagePath()
	if !strings.HasPrefix(image, "/") || strings.HasPrefix(image, "//") {
		image = "/images/products/" + p.GetId() + ".svg"
	}
	return productView{
		ID:            p.GetId(),
		Name:          p.GetName(),
		Description:   p.GetDescription(),
		Paragraphs:    paragraphs(p.GetDescription()),
		CategoryID:    p.GetCategoryId(),
		CategoryName:  categoryName(cats, p.GetCategoryId()),
		ImageURL:      image,
		Price:         price,
		PriceDisplay:  display,
		WeightGrams:   p.GetWeightGrams(),
		WeightDisplay: formatWeight(p.GetWeightGrams()),
		Tags:          p.GetTags(),
	}
}

// paragraphs splits plain text at blank lines.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// categoryName returns the name of category id, or id when unknown.
func categoryName(cats []*catalogv1.Category, id string) string {
	for _, c := range cats {
		if c.GetId() == id {
			return c.GetName()
		}
	}
	return id
}

// formatWeight writes grams for people: "350 g", "1.25 kg".
func formatWeight(grams int32) string {
	if grams < 1000 {
		return strconv.Itoa(int(grams)) + " g"
	}
	kg := strconv.FormatFloat(float64(grams)/1000, 'f', 2, 64)
	kg = strings.TrimRight(strings.TrimRight(kg, "0"), ".")
	return kg + " kg"
}

// validProductID reports whether id can name a product: lower-case words of
// letters and digits joined by '-', at most 100 bytes. Other ids are
// answered 404 without asking catalog.
func validProductID(id string) bool {
	if id == "" || len(id) > 100 || id[0] == '-' || id[len(id)-1] == '-' {
		return false
	}
	for _, c := range []byte(id) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// validCategoryID reports whether id can name a category (same shape as a
// product id).
func validCategoryID(id string) bool {
	return validProductID(id)
}

// notices joins the degradations to tell the shopper, skipping empty ones.
func notices(all ...string) []string {
	var out []string
	for _, n := range all {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// staleNotice is shown when catalog answers come from the last good copy.
const staleNotice = "Some product details may be out of date while our catalog is being refreshed."

// staleIf returns staleNotice when stale.
func staleIf(stale bool) string {
	if stale {
		return staleNotice
	}
	return ""
}

// noStore marks a response as personal and not to be cached: prices depend
// on the shopper's currency cookie.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}
