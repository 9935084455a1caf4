package storefront

import (
	"testing"

	"github.com/bazaar-shop/bazaar/platform/resilience"
)

// TestRoutePriority: the purchase path is shed last, the rest as default;
// every critical pattern is a route the storefront serves.
func TestRoutePriority(t *testing.T) {
	tests := []struct {
		pattern string
		want    resilience.Priority
	}{
		{"POST /checkout", resilience.Critical},
		{"/api/v1/checkout", resilience.Critical},
		{"POST /cart/items", resilience.Critical},
		{"/api/v1/cart/items", resilience.Critical},
		{"GET /{$}", resilience.Default},
		{"GET /products/{id}", resilience.Default},
		{"GET /cart", resilience.Default},
		{"POST /signin", resilience.Default},
		{"/api/v1/products", resilience.Default},
	}
	for _, tt := range tests {
		if got := routePriority(tt.pattern); got != tt.want {
			t.Errorf("routePriority(%q) = %v, want %v", tt.pattern, got, tt.want)
		}
	}
}
