package notifications

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Request limits.
const (
	// DefaultPageSize is the page size of a request that sets none.
	DefaultPageSize = 20
	// MaxPageSize caps every page size.
	MaxPageSize = 100
	// maxOrderIDBytes is the longest order id.
	maxOrderIDBytes = 128
	// maxIDBytes is the longest message id.
	maxIDBytes = 128
	// maxEmailBytes is the longest e-mail address (RFC 5321's path limit).
	maxEmailBytes = 254
)

// errInvalid marks bad input; the handler answers InvalidArgument.
var errInvalid = errors.New("invalid argument")

// invalidf returns an error wrapping errInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errInvalid, fmt.Sprintf(format, args...))
}

// recipient checks an e-mail address and returns it trimmed and in lower
// case: one '@' with text on both sides, no spaces or control characters,
// at most maxEmailBytes.
func recipient(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(e, "@")
	switch {
	case e == "":
		return "", errors.New("no e-mail address")
	case len(e) > maxEmailBytes:
		return "", fmt.Errorf("e-mail address is longer than %d bytes", maxEmailBytes)
	case !ok || local == "" || domain == "" || strings.Contains(domain, "@"):
		return "", fmt.Errorf("%q is not an e-mail address", email)
	case strings.ContainsFunc(e, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return "", fmt.Errorf("e-mail address %q holds spaces or control characters", email)
	}
	return e, nil
}

// pageSize applies the default and the cap to a requested page size.
func pageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, invalidf("page_size must not be negative, got %d", n)
	case n == 0:
		return DefaultPageSize, nil
	case n > MaxPageSize:
		return MaxPageSize, nil
	}
	return int(n), nil
}

// tokenPrefix starts every page token, so tokens can change form later.
const tokenPrefix = "v1:"

// encodePageToken returns the token of the page after the message with
// sequence number seq.
func encodePageToken(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.FormatInt(seq, 10)))
}

// decodePageToken returns the sequence number a page token carries; 0
// for an empty token (the first page).
func decodePageToken(token string) (int64, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, invalidf("page_token is malformed")
	}
	num, ok := strings.CutPrefix(string(raw), tokenPrefix)
	seq, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || seq <= 0 || num != strconv.FormatInt(seq, 10) {
		return 0, invalidf("page_token is malformed")
	}
	return seq, nil
}
