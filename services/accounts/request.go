package accounts

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/services/accounts/store"
)

// Request limits, from the contract.
const (
	// MaxEmailBytes is the longest e-mail address.
	MaxEmailBytes = 254
	// MinPasswordBytes and MaxPasswordBytes bound a password's length.
	MinPasswordBytes, MaxPasswordBytes = 8, 128
	// MaxNameBytes is the longest display name.
	MaxNameBytes = 100
	// MaxKeyBytes is the longest idempotency key.
	MaxKeyBytes = 128
	// MaxIDBytes is the longest user id accepted.
	MaxIDBytes = 128
	// maxLocalPartBytes is the longest part of an address before '@'.
	maxLocalPartBytes = 64
	// maxAddressFieldBytes bounds each text field of a postal address.
	maxAddressFieldBytes = 200
)

// normalizeEmail checks an e-mail address (one plain addr-spec, a dotted
// domain) and returns it trimmed and lower-cased. field names the request
// field in the error.
func normalizeEmail(field, email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", fmt.Errorf("%s is required", field)
	}
	if len(e) > MaxEmailBytes {
		return "", fmt.Errorf("%s is longer than %d bytes", field, MaxEmailBytes)
	}
	bad := fmt.Errorf("%s %q is not an e-mail address like name@example.com", field, email)
	parsed, err := mail.ParseAddress(e)
	if err != nil || parsed.Name != "" || parsed.Address != e {
		return "", bad
	}
	at := strings.LastIndexByte(e, '@')
	local, domain := e[:at], e[at+1:]
	if len(local) > maxLocalPartBytes || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", bad
	}
	return e, nil
}

// checkPassword checks a new password's length. The error never contains
// the password.
func checkPassword(password string) error {
	if n := len(password); n < MinPasswordBytes || n > MaxPasswordBytes {
		return fmt.Errorf("password must be %d to %d bytes long, got %d", MinPasswordBytes, MaxPasswordBytes, n)
	}
	return nil
}

// normalizeText checks a required line of text (no control characters,
// at most maxBytes bytes once trimmed) and returns it trimmed.
func normalizeText(field, s string, maxBytes int) (string, error) {
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return "", fmt.Errorf("%s is required", field)
	case len(t) > maxBytes:
		return "", fmt.Errorf("%s is longer than %d bytes", field, maxBytes)
	case !utf8.ValidString(t) || strings.ContainsFunc(t, unicode.IsControl):
		return "", fmt.Errorf("%s must be one line of printable text", field)
	}
	return t, nil
}

// checkToken checks an opaque identifier or key: 1 to maxBytes bytes.
func checkToken(field, s string, maxBytes int) error {
	switch {
	case s == "":
		return fmt.Errorf("%s is required", field)
	case len(s) > maxBytes:
		return fmt.Errorf("%s is longer than %d bytes", field, maxBytes)
	}
	return nil
}

// toStoreAddress checks a postal address (every field required, the
// country a two-letter ISO 3166-1 code in any case) and returns it
// trimmed, the country upper-cased.
func toStoreAddress(field string, a *typesv1.Address) (store.Address, error) {
	if a == nil {
		return store.Address{}, fmt.Errorf("%s is required", field)
	}
	var out store.Address
	var err error
	for _, f := range []struct {
		name string
		in   string
		out  *string
	}{
		{"name", a.GetName(), &out.Name},
		{"street", a.GetStreet(), &out.Street},
		{"city", a.GetCity(), &out.City},
		{"postal_code", a.GetPostalCode(), &out.PostalCode},
	} {
		if *f.out, err = normalizeText(field+"."+f.name, f.in, maxAddressFieldBytes); err != nil {
			return store.Address{}, err
		}
	}
	cc := strings.ToUpper(strings.TrimSpace(a.GetCountryCode()))
	if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
		return store.Address{}, fmt.Errorf("%s.country_code %q is not a two-letter ISO 3166-1 code", field, a.GetCountryCode())
	}
	out.CountryCode = cc
	return out, nil
}
