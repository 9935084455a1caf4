// Package seed provides the catalog's initial content: the categories and
// products in products.json, embedded in the binary, checked and converted
// to the store's types with exact prices.
package seed

import (
	"bytes"
	_ "embed" // products.json
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bazaar-shop/bazaar/services/catalog/store"
)

// Currency is the catalog's base currency: every seed price is in it.
const Currency = "USD"

//go:embed products.json
var productsJSON string

// file is the layout of products.json.
type file struct {
	Categories []struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"categories"`
	Products []struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Category    string   `json:"category"`
		Price       string   `json:"price"`
		WeightGrams int32    `json:"weight_grams"`
		Tags        []string `json:"tags"`
	} `json:"products"`
}

// Load returns the embedded categories (in display order) and products.
// Images are left for the caller to render.
func Load() (store.SeedData, error) {
	return Parse([]byte(productsJSON))
}

// Parse reads catalog content in the products.json layout and checks it:
// well-formed unique ids, known categories, non-empty text, positive
// weights and prices given as exact decimals.
func Parse(data []byte) (store.SeedData, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return store.SeedData{}, fmt.Errorf("parse catalog seed: %w", err)
	}
	var out store.SeedData
	categories := map[string]bool{}
	for _, c := range f.Categories {
		if err := checkEntry("category", c.ID, c.Name, c.Description); err != nil {
			return store.SeedData{}, err
		}
		if categories[c.ID] {
			return store.SeedData{}, fmt.Errorf("parse catalog seed: category %q appears twice", c.ID)
		}
		categories[c.ID] = true
		out.Categories = append(out.Categories, store.Category{ID: c.ID, Name: c.Name, Description: c.Description})
	}
	products := map[string]bool{}
	for _, p := range f.Products {
		if err := checkEntry("product", p.ID, p.Name, p.Description); err != nil {
			return store.SeedData{}, err
		}
		if products[p.ID] {
			return store.SeedData{}, fmt.Errorf("parse catalog seed: product %q appears twice", p.ID)
		}
		products[p.ID] = true
		if !categories[p.Category] {
			return store.SeedData{}, fmt.Errorf("parse catalog seed: product %q: unknown category %q", p.ID, p.Category)
		}
		price, err := ParsePrice(p.Price)
		if err != nil || (price.Units == 0 && price.Nanos == 0) {
			return store.SeedData{}, fmt.Errorf("parse catalog seed: product %q: price %q is not a positive amount like 24.99", p.ID, p.Price)
		}
		if p.WeightGrams <= 0 {
			return store.SeedData{}, fmt.Errorf("parse catalog seed: product %q: weight_grams must be positive", p.ID)
		}
		if err := checkTags(p.Tags); err != nil {
			return store.SeedData{}, fmt.Errorf("parse catalog seed: product %q: %w", p.ID, err)
		}
		out.Products = append(out.Products, store.Product{
			ID: p.ID, Name: p.Name, Description: p.Description, CategoryID: p.Category,
			Price: price, WeightGrams: p.WeightGrams, Tags: p.Tags,
		})
	}
	return out, nil
}

// checkEntry checks the fields every category and product has.
func checkEntry(kind, id, name, description string) error {
	if !validID(id) {
		return fmt.Errorf("parse catalog seed: %s id %q is not lower-case words joined by '-'", kind, id)
	}
	if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > 80 {
		return fmt.Errorf("parse catalog seed: %s %q: name must have 1 to 80 characters", kind, id)
	}
	if strings.TrimSpace(description) == "" {
		return fmt.Errorf("parse catalog seed: %s %q: empty description", kind, id)
	}
	return nil
}

// checkTags accepts one or more distinct tags made like ids.
func checkTags(tags []string) error {
	if len(tags) == 0 {
		return fmt.Errorf("no tags")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if !validID(t) {
			return fmt.Errorf("tag %q is not lower-case words joined by '-'", t)
		}
		if seen[t] {
			return fmt.Errorf("tag %q appears twice", t)
		}
		seen[t] = true
	}
	return nil
}

// validID reports whether s is lower-case ASCII letters and digits in
// words joined by single '-', at most 64 bytes.
func validID(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// ParsePrice reads a non-negative decimal amount of the base currency
// ("24.99", "9", "0.5") exactly, without floating point.
func ParsePrice(s string) (store.Money, error) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || !digits(whole) || (hasFrac && (frac == "" || len(frac) > 9 || !digits(frac))) {
		return store.Money{}, fmt.Errorf("parse price %q: want digits with up to 9 decimals", s)
	}
	units, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return store.Money{}, fmt.Errorf("parse price %q: %w", s, err)
	}
	nanos := 0
	if hasFrac {
		nanos, err = strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
		if err != nil {
			return store.Money{}, fmt.Errorf("parse price %q: %w", s, err)
		}
	}
	return store.Money{Currency: Currency, Units: units, Nanos: int32(nanos)}, nil
}

// digits reports whether s is only ASCII digits.
func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
