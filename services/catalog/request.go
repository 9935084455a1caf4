package catalog

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Request limits.
const (
	// DefaultPageSize is the page size of a request that sets none.
	DefaultPageSize = 24
	// MaxPageSize caps every page size.
	MaxPageSize = 100
	// MaxBatchIDs is the most ids a BatchGetProducts request may name.
	MaxBatchIDs = 100
	// MaxQueryBytes is the longest search query.
	MaxQueryBytes = 200
	// maxIDBytes is the longest product or category id.
	maxIDBytes = 128
	// maxOffset bounds the offset a page token may carry.
	maxOffset = 1 << 30
)

// pageSize applies the default and the cap to a requested page size.
func pageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("page_size must not be negative, got %d", n)
	case n == 0:
		return DefaultPageSize, nil
	case n > MaxPageSize:
		return MaxPageSize, nil
	}
	return int(n), nil
}

// checkID checks a product or category id: lower-case letters, digits and
// '-', at most maxIDBytes. field names the request field in the error.
func checkID(field, id string) error {
	if id == "" {
		return fmt.Errorf("%s is required", field)
	}
	if len(id) > maxIDBytes {
		return fmt.Errorf("%s is longer than %d bytes", field, maxIDBytes)
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return fmt.Errorf("%s %q may hold only lower-case letters, digits and '-'", field, id)
		}
	}
	return nil
}

// checkOptionalID is checkID for a field that may be empty.
func checkOptionalID(field, id string) error {
	if id == "" {
		return nil
	}
	return checkID(field, id)
}

// tokenPrefix starts every page token, so tokens can change form later.
const tokenPrefix = "v1:"

// encodePageToken returns the opaque token of the page starting at offset
// of the listing filtered by categoryID.
func encodePageToken(offset int, categoryID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(offset) + ":" + categoryID))
}

// decodePageToken returns the offset a page token carries, checking that
// it was made for a listing of the same category. An empty token is
// offset 0.
func decodePageToken(token, categoryID string) (int, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, fmt.Errorf("page_token is malformed")
	}
	rest, ok := strings.CutPrefix(string(raw), tokenPrefix)
	num, category, ok2 := strings.Cut(rest, ":")
	offset, err := strconv.Atoi(num)
	if !ok || !ok2 || err != nil || offset < 0 || offset > maxOffset || num != strconv.Itoa(offset) {
		return 0, fmt.Errorf("page_token is malformed")
	}
	if category != categoryID {
		return 0, fmt.Errorf("page_token belongs to a listing of another category")
	}
	return offset, nil
}
