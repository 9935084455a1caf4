package cart

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/bazaar-shop/bazaar/services/cart/store"
)

// Request limits, from the contract.
const (
	// MaxShopperIDBytes is the longest shopper id.
	MaxShopperIDBytes = 128
	// MaxKeyBytes is the longest idempotency key.
	MaxKeyBytes = 128
	// MaxProductIDBytes is the longest product id.
	MaxProductIDBytes = 128
	// MaxOrderIDBytes is the longest order id.
	MaxOrderIDBytes = 128
)

// checkToken checks an opaque id or key: 1 to maxBytes bytes of printable
// text.
func checkToken(field, s string, maxBytes int) error {
	switch {
	case s == "":
		return fmt.Errorf("%s is required", field)
	case len(s) > maxBytes:
		return fmt.Errorf("%s is longer than %d bytes", field, maxBytes)
	case strings.ContainsFunc(s, unicode.IsControl):
		return fmt.Errorf("%s must not contain control characters", field)
	}
	return nil
}

// checkShopperID checks a guest session id or user id.
func checkShopperID(field, id string) error {
	return checkToken(field, id, MaxShopperIDBytes)
}

// checkProductID checks a catalog product id: lower-case letters, digits
// and '-', at most MaxProductIDBytes.
func checkProductID(id string) error {
	if id == "" {
		return fmt.Errorf("product_id is required")
	}
	if len(id) > MaxProductIDBytes {
		return fmt.Errorf("product_id is longer than %d bytes", MaxProductIDBytes)
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return fmt.Errorf("product_id %q may hold only lower-case letters, digits and '-'", id)
		}
	}
	return nil
}

// checkQuantity checks a quantity against [least, store.MaxQuantity].
func checkQuantity(q, least int32) error {
	if q < least || q > store.MaxQuantity {
		return fmt.Errorf("quantity must be %d to %d, got %d", least, store.MaxQuantity, q)
	}
	return nil
}
