package inventory

import (
	"encoding/base64"
	"errors"
	"fmt"
	"unicode/utf8"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
)

// Limits of requests, from the contract.
const (
	maxIDBytes      = 128
	maxItems        = 100
	maxQuantity     = 10000
	maxBatchIDs     = 100
	defaultPageSize = 100
	maxPageSize     = 1000
)

// checkID checks an order or product id: 1 to 128 bytes (protobuf has
// already checked it is UTF-8).
func checkID(field, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%s: required", field)
	case len(id) > maxIDBytes:
		return fmt.Errorf("%s: %d bytes, at most %d allowed", field, len(id), maxIDBytes)
	}
	return nil
}

// checkItems checks a Reserve's items (1 to 100, each product at most
// once, quantities 1 to 10000) and returns them.
func checkItems(in []*inventoryv1.ReservationItem) ([]item, error) {
	if len(in) == 0 {
		return nil, errors.New("items: at least one item is required")
	}
	if len(in) > maxItems {
		return nil, fmt.Errorf("items: %d given, at most %d allowed", len(in), maxItems)
	}
	seen := make(map[string]bool, len(in))
	out := make([]item, 0, len(in))
	for i, it := range in {
		id := it.GetProductId()
		if err := checkID(fmt.Sprintf("items[%d].product_id", i), id); err != nil {
			return nil, err
		}
		if seen[id] {
			return nil, fmt.Errorf("items[%d].product_id: %s is listed twice; name each product once", i, id)
		}
		seen[id] = true
		if q := it.GetQuantity(); q < 1 || q > maxQuantity {
			return nil, fmt.Errorf("items[%d].quantity: %d, want 1 to %d", i, q, maxQuantity)
		}
		out = append(out, item{ProductID: id, Quantity: it.GetQuantity()})
	}
	return out, nil
}

// checkBatchIDs checks BatchGetAvailability's ids: at most 100, each a
// valid id.
func checkBatchIDs(ids []string) error {
	if len(ids) > maxBatchIDs {
		return fmt.Errorf("product_ids: %d given, at most %d allowed", len(ids), maxBatchIDs)
	}
	for i, id := range ids {
		if err := checkID(fmt.Sprintf("product_ids[%d]", i), id); err != nil {
			return err
		}
	}
	return nil
}

// pageSize turns a requested page size into the one used: 0 is the
// default, above the maximum is capped, negative is an error.
func pageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("page_size: %d is negative", n)
	case n == 0:
		return defaultPageSize, nil
	case n > maxPageSize:
		return maxPageSize, nil
	}
	return int(n), nil
}

// encodePageToken makes the opaque token of the page after productID.
func encodePageToken(productID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(productID))
}

// decodePageToken reads a token made by encodePageToken; "" is the first
// page.
func decodePageToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 || len(b) > maxIDBytes || !utf8.Valid(b) {
		return "", errors.New("page_token: not a token this service issued")
	}
	return string(b), nil
}
