package orders

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	cardcheck "github.com/bazaar-shop/bazaar/platform/card"
	"github.com/bazaar-shop/bazaar/platform/money"
)

// Request limits.
const (
	// MaxKeyBytes is the longest idempotency key.
	MaxKeyBytes = 128
	// MaxIDBytes is the longest shopper, user, product or order id.
	MaxIDBytes = 128
	// MaxEmailBytes is the longest e-mail address.
	MaxEmailBytes = 254
	// MaxAddressFieldBytes is the longest field of an address.
	MaxAddressFieldBytes = 200
	// MaxItems is the most items an order may have.
	MaxItems = 50
	// MaxQuantity is the most units of one item.
	MaxQuantity = 99
	// DefaultPageSize is the ListOrders page size when none is asked for.
	DefaultPageSize = 20
	// MaxPageSize caps ListOrders page sizes.
	MaxPageSize = 100
)

// fieldError is a request field that failed validation.
type fieldError struct {
	Field   string
	Problem string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Problem }

// invalidf returns a fieldError for field.
func invalidf(field, format string, args ...any) error {
	return &fieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// checkPlace validates a PlaceOrderRequest as of now and returns its card
// with the number reduced to digits.
func checkPlace(req *ordersv1.PlaceOrderRequest, now time.Time) (card, error) {
	if err := checkText("idempotency_key", req.GetIdempotencyKey(), MaxKeyBytes, true); err != nil {
		return card{}, err
	}
	if err := checkText("shopper_id", req.GetShopperId(), MaxIDBytes, true); err != nil {
		return card{}, err
	}
	if err := checkText("user_id", req.GetUserId(), MaxIDBytes, false); err != nil {
		return card{}, err
	}
	if err := checkEmail(req.GetEmail()); err != nil {
		return card{}, err
	}
	if err := checkAddress("shipping_address", req.GetShippingAddress()); err != nil {
		return card{}, err
	}
	if err := checkItems(req.GetItems()); err != nil {
		return card{}, err
	}
	if c := req.GetCurrencyCode(); c != "" {
		if err := money.ValidateCode(c); err != nil {
			return card{}, invalidf("currency_code", "%q is not a currency code (three upper-case letters, e.g. EUR)", c)
		}
	}
	return checkCard("card", req.GetCard(), now)
}

// checkText checks a free-text field: valid UTF-8 without control
// characters, at most max bytes, present when required.
func checkText(field, s string, max int, required bool) error {
	switch {
	case s == "" && required:
		return invalidf(field, "is required")
	case len(s) > max:
		return invalidf(field, "is %d bytes long, at most %d are allowed", len(s), max)
	case !utf8.ValidString(s):
		return invalidf(field, "is not valid UTF-8")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return invalidf(field, "contains control characters")
	}
	return nil
}

// checkEmail checks an e-mail address: a bare addr-spec ("ada@example.com").
func checkEmail(email string) error {
	if err := checkText("email", email, MaxEmailBytes, true); err != nil {
		return err
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email || !strings.Contains(email, "@") {
		return invalidf("email", "%q is not an e-mail address", email)
	}
	return nil
}

// checkAddress checks a shipping address: every field set, the country a
// two-letter code.
func checkAddress(field string, a *typesv1.Address) error {
	if a == nil {
		return invalidf(field, "is required")
	}
	for _, f := range []struct{ name, value string }{
		{"name", a.GetName()}, {"street", a.GetStreet()}, {"city", a.GetCity()},
		{"postal_code", a.GetPostalCode()}, {"country_code", a.GetCountryCode()},
	} {
		if err := checkText(field+"."+f.name, f.value, MaxAddressFieldBytes, true); err != nil {
			return err
		}
	}
	cc := a.GetCountryCode()
	if len(cc) != 2 || !isUpper(cc[0]) || !isUpper(cc[1]) {
		return invalidf(field+".country_code", "%q is not a two-letter country code (e.g. DE)", cc)
	}
	return nil
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }

// checkItems checks the item list: 1 to MaxItems items, each a product id
// as the catalog writes them, named once, with 1 to MaxQuantity units.
func checkItems(items []*ordersv1.LineItem) error {
	switch {
	case len(items) == 0:
		return invalidf("items", "at least one item is required")
	case len(items) > MaxItems:
		return invalidf("items", "has %d items, at most %d are allowed", len(items), MaxItems)
	}
	seen := make(map[string]int, len(items))
	for i, it := range items {
		field := fmt.Sprintf("items[%d]", i)
		if err := checkProductID(field+".product_id", it.GetProductId()); err != nil {
			return err
		}
		if j, dup := seen[it.GetProductId()]; dup {
			return invalidf(field+".product_id", "%q is already ordered by items[%d]; list each product once", it.GetProductId(), j)
		}
		seen[it.GetProductId()] = i
		if q := it.GetQuantity(); q < 1 || q > MaxQuantity {
			return invalidf(field+".quantity", "must be 1 to %d, got %d", MaxQuantity, q)
		}
	}
	return nil
}

// checkProductID checks a catalog product id: lower-case letters, digits
// and '-'.
func checkProductID(field, id string) error {
	if id == "" {
		return invalidf(field, "is required")
	}
	if len(id) > MaxIDBytes {
		return invalidf(field, "is %d bytes long, at most %d are allowed", len(id), MaxIDBytes)
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return invalidf(field, "%q is not a product id (lower-case letters, digits and '-')", id)
		}
	}
	return nil
}

// checkCard checks a card as of now: a 12 to 19 digit number passing the
// Luhn check (spaces and '-' ignored), an expiry month not yet past, a 3
// or 4 digit CVV. It returns the card with the number's digits only.
func checkCard(field string, c *typesv1.Card, now time.Time) (card, error) {
	if c == nil {
		return card{}, invalidf(field, "is required")
	}
	number := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, c.GetNumber())
	switch {
	case number == "":
		return card{}, invalidf(field+".number", "is required")
	case !cardcheck.Digits(number) || len(number) < 12 || len(number) > 19:
		return card{}, invalidf(field+".number", "must be 12 to 19 digits")
	case !cardcheck.Luhn(number):
		return card{}, invalidf(field+".number", "is not a valid card number (check digit)")
	case c.GetExpMonth() < 1 || c.GetExpMonth() > 12:
		return card{}, invalidf(field+".exp_month", "must be 1 to 12, got %d", c.GetExpMonth())
	case c.GetExpYear() < 1000 || c.GetExpYear() > 9999:
		return card{}, invalidf(field+".exp_year", "must be a four-digit year, got %d", c.GetExpYear())
	case cardcheck.Expired(int(c.GetExpYear()), int(c.GetExpMonth()), now):
		return card{}, invalidf(field+".exp_year", "the card expired in %02d/%d", c.GetExpMonth(), c.GetExpYear())
	case !cardcheck.Digits(c.GetCvv()) || len(c.GetCvv()) < 3 || len(c.GetCvv()) > 4:
		return card{}, invalidf(field+".cvv", "must be 3 or 4 digits")
	}
	return card{Number: number, ExpMonth: c.GetExpMonth(), ExpYear: c.GetExpYear(), CVV: c.GetCvv()}, nil
}

// lastFour is the last four digits of a card number.
func lastFour(number string) string {
	return number[len(number)-4:]
}
