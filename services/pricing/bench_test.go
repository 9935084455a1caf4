package pricing

import (
	"context"
	"testing"

	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// BenchmarkConvert is pricing's hot path: a product page's prices in the
// shopper's currency, over an in-memory gRPC connection.
func BenchmarkConvert(b *testing.B) {
	c, _, _ := startService(b)
	req := &pricingv1.ConvertRequest{ToCurrencyCode: "EUR", Amounts: []*typesv1.Money{usd(12, 990_000_000), usd(45, 500_000_000), usd(89, 0)}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Convert(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
