package seed

import (
	"strings"
	"testing"

	"github.com/bazaar-shop/bazaar/services/catalog/store"
)

func TestLoadEmbeddedCatalog(t *testing.T) {
	data, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(data.Categories) < 6 {
		t.Errorf("%d categories, want at least 6", len(data.Categories))
	}
	if len(data.Products) < 36 {
		t.Errorf("%d products, want at least 36", len(data.Products))
	}
	perCategory := map[string]int{}
	for _, p := range data.Products {
		perCategory[p.CategoryID]++
		if p.Price.Currency != "USD" {
			t.Errorf("%s: currency %q, want USD", p.ID, p.Price.Currency)
		}
		if n := strings.Count(p.Description, ". ") + 1; n < 2 || n > 4 {
			t.Errorf("%s: description has %d sentences, want 2 to 4", p.ID, n)
		}
	}
	for _, c := range data.Categories {
		if perCategory[c.ID] == 0 {
			t.Errorf("category %s has no products", c.ID)
		}
	}
	for _, p := range data.Products {
		if p.ID == "linen-tea-towels" && (p.Price.Units != 24 || p.Price.Nanos != 990000000) {
			t.Errorf("linen-tea-towels price = %+v, want 24.99 exactly", p.Price)
		}
	}
}

func TestParsePrice(t *testing.T) {
	tests := []struct {
		in      string
		units   int64
		nanos   int32
		wantErr bool
	}{
		{in: "24.99", units: 24, nanos: 990000000},
		{in: "9", units: 9},
		{in: "0.5", nanos: 500000000},
		{in: "12.50", units: 12, nanos: 500000000},
		{in: "1.000000001", units: 1, nanos: 1},
		{in: "", wantErr: true},
		{in: "-1.00", wantErr: true},
		{in: "1.", wantErr: true},
		{in: ".5", wantErr: true},
		{in: "1.0000000001", wantErr: true},
		{in: "1e3", wantErr: true},
		{in: "12,50", wantErr: true},
		{in: "9999999999999", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParsePrice(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParsePrice(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && (got != store.Money{Currency: "USD", Units: tt.units, Nanos: tt.nanos}) {
			t.Errorf("ParsePrice(%q) = %+v, want %d units %d nanos", tt.in, got, tt.units, tt.nanos)
		}
	}
}

func TestParseRejectsBadData(t *testing.T) {
	const cat = `{"id":"kitchen","name":"Kitchen","description":"Cooking."}`
	product := func(fields string) string {
		return `{"categories":[` + cat + `],"products":[{` + fields + `}]}`
	}
	const ok = `"id":"cup","name":"Cup","description":"A cup.","category":"kitchen","price":"1.00","weight_grams":10,"tags":["cup"]`
	if _, err := Parse([]byte(product(ok))); err != nil {
		t.Fatalf("Parse of good data: %v", err)
	}
	tests := map[string]string{
		"not json":           `{`,
		"unknown field":      product(ok + `,"colour":"red"`),
		"bad id":             product(strings.Replace(ok, `"id":"cup"`, `"id":"Cup Two"`, 1)),
		"unknown category":   product(strings.Replace(ok, `"category":"kitchen"`, `"category":"garden"`, 1)),
		"zero price":         product(strings.Replace(ok, `"price":"1.00"`, `"price":"0.00"`, 1)),
		"float price":        product(strings.Replace(ok, `"price":"1.00"`, `"price":1.0`, 1)),
		"no weight":          product(strings.Replace(ok, `"weight_grams":10`, `"weight_grams":0`, 1)),
		"no tags":            product(strings.Replace(ok, `"tags":["cup"]`, `"tags":[]`, 1)),
		"repeated tag":       product(strings.Replace(ok, `"tags":["cup"]`, `"tags":["cup","cup"]`, 1)),
		"empty name":         product(strings.Replace(ok, `"name":"Cup"`, `"name":" "`, 1)),
		"empty desc":         product(strings.Replace(ok, `"description":"A cup."`, `"description":""`, 1)),
		"duplicate product":  `{"categories":[` + cat + `],"products":[{` + ok + `},{` + ok + `}]}`,
		"duplicate category": `{"categories":[` + cat + `,` + cat + `],"products":[]}`,
	}
	for name, in := range tests {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: Parse succeeded, want error", name)
		}
	}
}
