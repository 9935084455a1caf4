package recommendations

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Request limits.
const (
	// DefaultLimit is the number of suggestions of a request that sets none.
	DefaultLimit = 4
	// MaxLimit caps the number of suggestions.
	MaxLimit = 20
	// MaxProductIDs is the most product ids a request may give.
	MaxProductIDs = 50
	// maxIDBytes is the longest product id.
	maxIDBytes = 128
)

// errInvalid marks bad input; the handler answers InvalidArgument.
var errInvalid = errors.New("invalid argument")

// invalidf returns an error wrapping errInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errInvalid, fmt.Sprintf(format, args...))
}

// checkProductIDs checks 1 to MaxProductIDs product ids and returns them
// without repeats, in the order given.
func checkProductIDs(ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, invalidf("product_ids: at least one product id is required")
	}
	if len(ids) > MaxProductIDs {
		return nil, invalidf("product_ids: %d given, at most %d allowed", len(ids), MaxProductIDs)
	}
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		switch {
		case strings.TrimSpace(id) == "":
			return nil, invalidf("product_ids[%d] is empty", i)
		case len(id) > maxIDBytes:
			return nil, invalidf("product_ids[%d] is longer than %d bytes", i, maxIDBytes)
		case strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
			return nil, invalidf("product_ids[%d] %q holds spaces or control characters", i, id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// checkLimit applies the default and the cap to a requested limit.
func checkLimit(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, invalidf("limit must not be negative, got %d", n)
	case n == 0:
		return DefaultLimit, nil
	case n > MaxLimit:
		return MaxLimit, nil
	}
	return int(n), nil
}
