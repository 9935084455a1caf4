package inventory

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// seedJSON is the stock loaded into a new database: one entry per catalog
// product (the ids are the catalog's seed ids), a few of them low so the
// sold-out paths are reachable.
//
//go:embed seed.json
var seedJSON []byte

// seedStock is a product's initial stock.
type seedStock struct {
	ProductID string `json:"product_id"`
	Quantity  int64  `json:"quantity"`
}

// loadSeed parses the embedded seed and checks it: known-shaped ids, each
// once, quantities not negative.
func loadSeed() ([]seedStock, error) {
	var f struct {
		Stock []seedStock `json:"stock"`
	}
	if err := json.Unmarshal(seedJSON, &f); err != nil {
		return nil, fmt.Errorf("load stock seed: %w", err)
	}
	seen := make(map[string]bool, len(f.Stock))
	for i, st := range f.Stock {
		if err := checkID("product_id", st.ProductID); err != nil {
			return nil, fmt.Errorf("load stock seed: stock[%d]: %w", i, err)
		}
		if seen[st.ProductID] {
			return nil, fmt.Errorf("load stock seed: stock[%d]: product %s listed twice", i, st.ProductID)
		}
		seen[st.ProductID] = true
		if st.Quantity < 0 {
			return nil, fmt.Errorf("load stock seed: stock[%d]: negative quantity %d", i, st.Quantity)
		}
	}
	return f.Stock, nil
}
