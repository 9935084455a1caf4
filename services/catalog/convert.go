package catalog

import (
	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/services/catalog/store"
)

// ImagePath returns the storefront path of a product's image, which the
// storefront serves by calling GetProductImage.
func ImagePath(productID string) string {
	return "/images/products/" + productID + ".svg"
}

// toProtoProduct converts a stored product to its API form.
func toProtoProduct(p store.Product) *catalogv1.Product {
	return &catalogv1.Product{
		Id:          p.ID,
		Name:        p.Name,
		Description: p.Description,
		CategoryId:  p.CategoryID,
		Price:       &typesv1.Money{CurrencyCode: p.Price.Currency, Units: p.Price.Units, Nanos: p.Price.Nanos},
		WeightGrams: p.WeightGrams,
		ImagePath:   ImagePath(p.ID),
		Tags:        p.Tags,
	}
}

// toProtoProducts converts stored products to their API form.
func toProtoProducts(ps []store.Product) []*catalogv1.Product {
	out := make([]*catalogv1.Product, len(ps))
	for i, p := range ps {
		out[i] = toProtoProduct(p)
	}
	return out
}
