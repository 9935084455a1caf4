package storefront

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/card"
)

// Limits of checkout inputs.
const (
	maxNameBytes       = 100
	maxStreetBytes     = 200
	maxCityBytes       = 100
	maxPostalCodeBytes = 16
	maxIdempotencyKey  = 128
)

// normalizeCheckout trims what the shopper typed: spaces around every
// text, an upper-case country code, and a card number without the spaces
// and dashes people type between digits.
func normalizeCheckout(req *storefrontv1.CheckoutRequest) {
	req.Email = strings.TrimSpace(req.GetEmail())
	if req.Address == nil {
		req.Address = &typesv1.Address{}
	}
	a := req.Address
	a.Name, a.Street, a.City = strings.TrimSpace(a.Name), strings.TrimSpace(a.Street), strings.TrimSpace(a.City)
	a.PostalCode = strings.TrimSpace(a.PostalCode)
	a.CountryCode = strings.ToUpper(strings.TrimSpace(a.CountryCode))
	if req.Card == nil {
		req.Card = &typesv1.Card{}
	}
	req.Card.Number = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(req.Card.Number))
	req.Card.Cvv = strings.TrimSpace(req.Card.Cvv)
}

// validateCheckout adds to errs what is wrong with a normalised checkout.
// A card that expired before the month of now is refused here, so the
// shopper hears at once.
func validateCheckout(req *storefrontv1.CheckoutRequest, now time.Time, errs *fieldErrors) {
	if !validEmail(req.GetEmail()) {
		errs.add("email", "email", "Enter your e-mail address, like name@example.com.")
	}
	a := req.GetAddress()
	if !validText(a.GetName(), maxNameBytes) {
		errs.add("name", "address.name", fmt.Sprintf("Enter the recipient's name (at most %d characters).", maxNameBytes))
	}
	if !validText(a.GetStreet(), maxStreetBytes) {
		errs.add("street", "address.street", "Enter the street and number.")
	}
	if !validText(a.GetCity(), maxCityBytes) {
		errs.add("city", "address.city", "Enter the city or town.")
	}
	if !validPostalCode(a.GetPostalCode()) {
		errs.add("postal_code", "address.postal_code", "Enter the postal code: letters, digits, spaces and dashes.")
	}
	if !validCountry(a.GetCountryCode()) {
		errs.add("country", "address.country_code", "Enter the two-letter country code, like US, DE or FR.")
	}
	c := req.GetCard()
	if n := len(c.GetNumber()); !card.Digits(c.GetNumber()) || n < 12 || n > 19 {
		errs.add("card_number", "card.number", "Enter the card number: 12 to 19 digits.")
	}
	if m := c.GetExpMonth(); m < 1 || m > 12 {
		errs.add("exp_month", "card.exp_month", "Enter the expiry month, 1 to 12.")
	}
	y := c.GetExpYear()
	switch {
	case y < 1000 || y > 9999:
		errs.add("exp_year", "card.exp_year", "Enter the expiry year with four digits, like 2031.")
	case c.GetExpMonth() >= 1 && c.GetExpMonth() <= 12 && card.Expired(int(y), int(c.GetExpMonth()), now):
		errs.add("exp_year", "card.exp_year", "This card has expired. Please use another card.")
	}
	if n := len(c.GetCvv()); !card.Digits(c.GetCvv()) || n < 3 || n > 4 {
		errs.add("cvv", "card.cvv", "Enter the 3 or 4 digit security code from the back of the card.")
	}
}

// validPostalCode reports whether s looks like a postal code anywhere.
func validPostalCode(s string) bool {
	if s == "" || len(s) > maxPostalCodeBytes {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == ' ' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// validCountry reports whether s is two upper-case letters.
func validCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// validIdempotencyKey reports whether key can be an idempotency key: 1 to
// 128 printable ASCII bytes.
func validIdempotencyKey(key string) bool {
	if key == "" || len(key) > maxIdempotencyKey {
		return false
	}
	for _, c := range []byte(key) {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// placed is an accepted order.
type placed struct {
	orderID string
	status  string
}

// checkoutSays are the words for a failed PlaceOrder; empty tells whether
// the cart was empty.
func checkoutSays(empty bool) says {
	invalid := "We couldn't place the order with these details. Please check them and try again."
	if empty {
		invalid = "Your cart is empty. Add something to it before checking out."
	}
	return says{
		invalid:  invalid,
		conflict: "Something in your cart is no longer sold. Please review your cart and try again.",
		unavailable: "We can't take orders right now. Nothing was charged and your cart is kept. " +
			"Please try again in a moment.",
	}
}

// checkout orders the session's cart with the details of req (normalised
// and valid) under the client's idempotency key: the same key from the
// same session always answers with the same order. On success the
// checkout e-mail is remembered in the session, whose cookie is set.
func (s *Storefront) checkout(ctx context.Context, w http.ResponseWriter, r *http.Request, sess session,
	req *storefrontv1.CheckoutRequest, key string) (placed, failure, bool) {
	sess = s.settleMerge(ctx, w, r, sess)
	cart, err := s.getCart(ctx, sess)
	if err != nil {
		return placed{}, callFailure(err, cartSays("read your cart")), false
	}
	// An empty cart is still sent: a repeated submission, after the first
	// order emptied the cart, must find that order.
	resp, err := s.placeOrder(ctx, sess, req, cart, key)
	if err != nil {
		return placed{}, callFailure(err, checkoutSays(len(cart.GetItems()) == 0)), false
	}
	s.removeOrdered(ctx, sess, resp.GetOrderId(), cart)
	if email := strings.ToLower(req.GetEmail()); sess.CheckoutEmail != email {
		sess.CheckoutEmail = email
		s.saveSession(w, r, sess)
	}
	return placed{orderID: resp.GetOrderId(), status: statusName(resp.GetStatus())}, failure{}, true
}

// placeOrder calls orders.PlaceOrder for the cart.
func (s *Storefront) placeOrder(ctx context.Context, sess session, req *storefrontv1.CheckoutRequest,
	cart *cartv1.Cart, key string) (*ordersv1.PlaceOrderResponse, error) {
	items := make([]*ordersv1.LineItem, 0, len(cart.GetItems()))
	for _, it := range cart.GetItems() {
		items = append(items, &ordersv1.LineItem{ProductId: it.GetProductId(), Quantity: it.GetQuantity()})
	}
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	resp, err := s.deps.Orders.PlaceOrder(ctx, &ordersv1.PlaceOrderRequest{
		IdempotencyKey:  sess.scopedKey("checkout", key),
		ShopperId:       sess.shopperID(),
		UserId:          sess.UserID,
		Email:           req.GetEmail(),
		ShippingAddress: req.GetAddress(),
		Items:           items,
		Card:            req.GetCard(),
		CurrencyCode:    req.GetCurrency(),
	})
	if err != nil {
		s.logCallFailure(ctx, "orders", "PlaceOrder", err)
		return nil, fmt.Errorf("place order of %d items: %w", len(items), err)
	}
	return resp, nil
}

// removeOrdered takes what the order bought out of the cart at once, so
// the shopper's next look at the cart (or next checkout) does not see it.
// The cart does it once per order; if it cannot be reached now, its
// order.placed consumer does it when the event arrives.
func (s *Storefront) removeOrdered(ctx context.Context, sess session, orderID string, cart *cartv1.Cart) {
	if len(cart.GetItems()) == 0 || orderID == "" {
		return
	}
	items := make([]*cartv1.CartItem, 0, len(cart.GetItems()))
	for _, it := range cart.GetItems() {
		items = append(items, &cartv1.CartItem{ProductId: it.GetProductId(), Quantity: it.GetQuantity()})
	}
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	if _, err := s.deps.Cart.RemoveOrderedItems(ctx, &cartv1.RemoveOrderedItemsRequest{
		ShopperId: sess.shopperID(), OrderId: orderID, Items: items,
	}); err != nil {
		s.logCallFailure(ctx, "cart", "RemoveOrderedItems", err)
	}
}

// orderCurrency is the currency to order in: the one asked for, else the
// session's while pricing can convert to it, else the base currency.
func (s *Storefront) orderCurrency(ctx context.Context, r *http.Request, asked string) string {
	if asked != "" {
		return asked
	}
	list, known := s.pricing.listCurrencies(ctx)
	if !known || list.down {
		return s.cfg.BaseCurrency
	}
	return s.sessionCurrency(r, list, known)
}
