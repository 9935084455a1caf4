package shipping

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

func TestQuoteFor(t *testing.T) {
	tests := []struct {
		country  string
		grams    int64
		wantUSD  string // units.cents
		wantDays int32
	}{
		{"US", 0, "5.00", 3},
		{"US", 1, "5.00", 3},
		{"US", 1000, "5.00", 3},
		{"US", 1001, "6.00", 3},
		{"US", 20_000, "24.00", 3},
		{"DE", 2500, "23.00", 7},
		{"GB", 500, "15.00", 7},
		{"CH", 3000, "23.00", 7},
		{"NO", 1000, "15.00", 7},
		{"JP", 12_000, "113.00", 12},
		{"CA", 1, "25.00", 12},
		{"BR", 1500, "33.00", 12},
	}
	for _, tt := range tests {
		q, err := quoteFor(tt.country, tt.grams)
		if err != nil {
			t.Errorf("quoteFor(%s, %d): %v", tt.country, tt.grams, err)
			continue
		}
		if got := formatUSD(usdCents(q.Cents)); got != tt.wantUSD || q.EstimatedDays != tt.wantDays || q.WeightGrams != tt.grams {
			t.Errorf("quoteFor(%s, %d) = $%s, %d days, %d g; want $%s, %d days", tt.country, tt.grams, got, q.EstimatedDays, q.WeightGrams, tt.wantUSD, tt.wantDays)
		}
	}
}

func TestQuoteForUnservedCountries(t *testing.T) {
	for _, c := range []string{"AQ", "BV", "HM", "AA", "ZZ", "QM", "QZ", "XA", "XK"} {
		if _, err := quoteFor(c, 100); !errors.Is(err, errNotServed) {
			t.Errorf("quoteFor(%s) error = %v, want errNotServed", c, err)
		}
	}
	for _, c := range []string{"QA", "QL"} { // Qatar; QL is unassigned but not private use
		if _, err := quoteFor(c, 100); err != nil {
			t.Errorf("quoteFor(%s): %v", c, err)
		}
	}
}

func TestUSDCents(t *testing.T) {
	tests := []struct {
		cents int64
		want  *typesv1.Money
	}{
		{0, &typesv1.Money{CurrencyCode: "USD"}},
		{5, &typesv1.Money{CurrencyCode: "USD", Nanos: 50_000_000}},
		{2300, &typesv1.Money{CurrencyCode: "USD", Units: 23}},
		{12345, &typesv1.Money{CurrencyCode: "USD", Units: 123, Nanos: 450_000_000}},
	}
	for _, tt := range tests {
		if got := usdCents(tt.cents); !proto.Equal(got, tt.want) {
			t.Errorf("usdCents(%d) = %v, want %v", tt.cents, got, tt.want)
		}
	}
}
