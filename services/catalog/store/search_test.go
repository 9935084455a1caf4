package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
	"github.com/bazaar-shop/bazaar/services/catalog/store"
)

func TestSearch(t *testing.T) {
	storagetest.Run(t, testSearch)
}

func testSearch(t *testing.T, engine string) {
	ctx := context.Background()
	st, data := seededStore(t, engine)
	tests := []struct {
		name     string
		query    string
		category string
		limit    int
		// want is the exact result, in order, when set; otherwise first
		// and contains are checked.
		want     []string
		first    []string // the leading results, in any order
		contains []string
		count    int // when > 0, the number of results
	}{
		{name: "one word", query: "espresso", want: []string{"espresso-cup"}},
		{name: "case and multi-word", query: "STONEWARE Espresso cup", want: []string{"espresso-cup"}},
		{name: "every word must match", query: "espresso hammock", want: []string{}},
		{name: "name matches tie by category then name", query: "merino", want: []string{"merino-wool-throw", "merino-crew-sweater", "merino-hiking-socks"}},
		{name: "name above tag", query: "wool", want: []string{"merino-wool-throw", "ribbed-wool-beanie", "merino-crew-sweater", "merino-hiking-socks"}},
		{name: "name above tag above description", query: "steel", want: []string{"carbon-steel-chef-knife", "insulated-water-bottle", "galvanized-watering-can", "oak-wall-clock", "enamel-camp-mug", "brass-fountain-pen"}},
		{name: "name above tag, in category order", query: "camping", want: []string{"rechargeable-camping-lantern", "enamel-camp-mug", "packable-hammock"}},
		{name: "two words rank by name", query: "merino wool", first: []string{"merino-wool-throw"}, count: 3},
		{name: "name before description", query: "linen", first: []string{"linen-tea-towels", "washed-linen-cushion-cover"}, contains: []string{"a5-dot-grid-notebook"}},
		{name: "tag", query: "birding", want: []string{"compact-binoculars", "field-guide-to-garden-birds"}},
		{name: "category name", query: "stationery", count: 6},
		{name: "category filter", query: "wool", category: "apparel", want: []string{"ribbed-wool-beanie", "merino-crew-sweater", "merino-hiking-socks"}},
		{name: "no match", query: "xylophone", want: []string{}},
		{name: "percent is literal", query: "%", want: []string{}},
		{name: "percent inside a word", query: "1%0", want: []string{}},
		{name: "underscore is literal", query: "t_shirt", want: []string{}},
		{name: "hyphen", query: "t-shirt", want: []string{"organic-cotton-t-shirt"}},
		{name: "backslash", query: `\`, want: []string{}},
		{name: "apostrophe", query: "chef's", want: []string{"carbon-steel-chef-knife"}},
		{name: "quoted word", query: `"hammock"`, want: []string{"packable-hammock"}},
		{name: "ampersand", query: "cedar &", want: []string{"cedar-sage-soy-candle"}},
		{name: "injection attempt", query: `' OR 1=1 --`, want: []string{}},
		{name: "unicode case", query: "ÉSPRESSO", want: []string{}},
		{name: "empty matches all", query: "", count: len(data.Products)},
		{name: "blank matches all", query: "  \t ", count: len(data.Products)},
		{name: "limit", query: "", limit: 3, count: 3},
		{name: "empty in category", query: "", category: "garden", count: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := tt.limit
			if limit == 0 {
				limit = 100
			}
			got, err := st.Search(ctx, store.SearchParams{Query: tt.query, CategoryID: tt.category, Limit: limit})
			if err != nil {
				t.Fatalf("Search(%q): %v", tt.query, err)
			}
			gotIDs := ids(got)
			if tt.want != nil && !slices.Equal(gotIDs, tt.want) && !(len(tt.want) == 0 && len(gotIDs) == 0) {
				t.Errorf("Search(%q) = %v, want %v", tt.query, gotIDs, tt.want)
			}
			if len(gotIDs) < len(tt.first) {
				t.Fatalf("Search(%q) = %v, want %v first", tt.query, gotIDs, tt.first)
			}
			for _, id := range tt.first {
				if !slices.Contains(gotIDs[:len(tt.first)], id) {
					t.Errorf("Search(%q) = %v, want %v first", tt.query, gotIDs, tt.first)
				}
			}
			for _, id := range tt.contains {
				if !slices.Contains(gotIDs, id) {
					t.Errorf("Search(%q) = %v, want it to contain %s", tt.query, gotIDs, id)
				}
			}
			if tt.count > 0 && len(gotIDs) != tt.count {
				t.Errorf("Search(%q) found %d: %v; want %d", tt.query, len(gotIDs), gotIDs, tt.count)
			}
			if tt.category != "" {
				for _, p := range got {
					if p.CategoryID != tt.category {
						t.Errorf("Search(%q in %s) returned %s of %s", tt.query, tt.category, p.ID, p.CategoryID)
					}
				}
			}
		})
	}
}

func TestSearchUnknownCategory(t *testing.T) {
	storagetest.Run(t, testSearchUnknownCategory)
}

func testSearchUnknownCategory(t *testing.T, engine string) {
	st, _ := seededStore(t, engine)
	_, err := st.Search(context.Background(), store.SearchParams{Query: "cup", CategoryID: "nowhere", Limit: 10})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Search in an unknown category: %v, want ErrNotFound", err)
	}
}
