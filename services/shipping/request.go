package shipping

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// Request limits.
const (
	// MaxItems is the most items a parcel may hold.
	MaxItems = 100
	// MaxQuantity is the most units of one item; it keeps weights exact.
	MaxQuantity = 10_000
	// MaxUnitWeightGrams is the heaviest unit accepted (one tonne).
	MaxUnitWeightGrams = 1_000_000
	// maxOrderIDBytes is the longest order id.
	maxOrderIDBytes = 128
	// maxIDBytes is the longest product, shipment or tracking id.
	maxIDBytes = 128
	// maxFieldBytes is the longest address field.
	maxFieldBytes = 200
	// maxEmailBytes is the longest e-mail address (RFC 5321's path limit).
	maxEmailBytes = 254
)

// invalidError is a request or event that is malformed; the handler
// answers InvalidArgument, the consumer drops the event.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }

// isInvalid reports whether err is or wraps an invalidError.
func isInvalid(err error) bool {
	var ie *invalidError
	return errors.As(err, &ie)
}

// address is a postal address; CountryCode is upper case.
type address struct {
	Name, Street, City, PostalCode, CountryCode string
}

// item is one product in a parcel.
type item struct {
	ProductID   string
	Quantity    int32
	WeightGrams int32
}

// newShipment is a checked request to ship an order.
type newShipment struct {
	OrderID     string
	Address     address
	Items       []item
	Email       string
	WeightGrams int64
}

// invalidf returns an invalidError with a formatted message.
func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// checkCountry checks an ISO 3166-1 alpha-2 code, accepting lower case,
// and returns it in upper case.
func checkCountry(field, code string) (string, error) {
	if code == "" {
		return "", invalidf("%s is required", field)
	}
	up := strings.ToUpper(code)
	if len(up) != 2 || up[0] < 'A' || up[0] > 'Z' || up[1] < 'A' || up[1] > 'Z' {
		return "", invalidf("%s %q is not a two-letter ISO 3166-1 code", field, code)
	}
	return up, nil
}

// checkItems checks 1 to MaxItems items and returns them with the
// parcel's total weight.
func checkItems(in []*shippingv1.ShippingItem) ([]item, int64, error) {
	if len(in) == 0 {
		return nil, 0, invalidf("items: at least one item is required")
	}
	if len(in) > MaxItems {
		return nil, 0, invalidf("items: %d given, at most %d allowed", len(in), MaxItems)
	}
	out := make([]item, 0, len(in))
	var total int64
	for i, it := range in {
		if err := checkText(fmt.Sprintf("items[%d].product_id", i), it.GetProductId(), maxIDBytes); err != nil {
			return nil, 0, err
		}
		if q := it.GetQuantity(); q < 1 || q > MaxQuantity {
			return nil, 0, invalidf("items[%d].quantity %d is not between 1 and %d", i, q, MaxQuantity)
		}
		if w := it.GetWeightGrams(); w < 0 || w > MaxUnitWeightGrams {
			return nil, 0, invalidf("items[%d].weight_grams %d is not between 0 and %d", i, w, MaxUnitWeightGrams)
		}
		out = append(out, item{ProductID: it.GetProductId(), Quantity: it.GetQuantity(), WeightGrams: it.GetWeightGrams()})
		total += int64(it.GetQuantity()) * int64(it.GetWeightGrams())
	}
	return out, total, nil
}

// checkText checks a required single-line text field of at most max bytes.
func checkText(field, s string, max int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return invalidf("%s is required", field)
	case len(s) > max:
		return invalidf("%s is longer than %d bytes", field, max)
	case !utf8.ValidString(s):
		return invalidf("%s is not valid UTF-8", field)
	case strings.ContainsFunc(s, unicode.IsControl):
		return invalidf("%s holds control characters", field)
	}
	return nil
}

// checkAddress checks a complete destination address.
func checkAddress(a *typesv1.Address) (address, error) {
	if a == nil {
		return address{}, invalidf("address is required")
	}
	fields := []struct{ name, value string }{
		{"address.name", a.GetName()},
		{"address.street", a.GetStreet()},
		{"address.city", a.GetCity()},
		{"address.postal_code", a.GetPostalCode()},
	}
	for _, f := range fields {
		if err := checkText(f.name, f.value, maxFieldBytes); err != nil {
			return address{}, err
		}
	}
	country, err := checkCountry("address.country_code", a.GetCountryCode())
	if err != nil {
		return address{}, err
	}
	return address{Name: a.GetName(), Street: a.GetStreet(), City: a.GetCity(), PostalCode: a.GetPostalCode(), CountryCode: country}, nil
}

// checkEmail checks an optional e-mail address: empty, or one '@' with
// text on both sides, no spaces, at most maxEmailBytes.
func checkEmail(email string) error {
	if email == "" {
		return nil
	}
	local, domain, ok := strings.Cut(email, "@")
	switch {
	case len(email) > maxEmailBytes:
		return invalidf("email is longer than %d bytes", maxEmailBytes)
	case !ok || local == "" || domain == "" || strings.Contains(domain, "@"):
		return invalidf("email %q is not an e-mail address", email)
	case strings.ContainsFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return invalidf("email %q holds spaces or control characters", email)
	}
	return nil
}

// checkCreate checks a request to ship an order.
func checkCreate(orderID string, addr *typesv1.Address, items []*shippingv1.ShippingItem, email string) (newShipment, error) {
	if err := checkText("order_id", orderID, maxOrderIDBytes); err != nil {
		return newShipment{}, err
	}
	a, err := checkAddress(addr)
	if err != nil {
		return newShipment{}, err
	}
	its, weight, err := checkItems(items)
	if err != nil {
		return newShipment{}, err
	}
	if err := checkEmail(email); err != nil {
		return newShipment{}, err
	}
	return newShipment{OrderID: orderID, Address: a, Items: its, Email: email, WeightGrams: weight}, nil
}
