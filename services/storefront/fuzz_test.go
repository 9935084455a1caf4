package storefront

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/card"
)

// apiBodyRoutes are the JSON API routes that read a body, by index for
// the fuzzer.
var apiBodyRoutes = []string{"/api/v1/checkout", "/api/v1/cart/items", "/api/v1/accounts", "/api/v1/session"}

// FuzzAPIBody sends arbitrary bodies to every JSON API route that reads
// one: whatever the body, the answer is a JSON document with a status
// below 500 (the fakes behind are up), never a panic or an HTML page.
func FuzzAPIBody(f *testing.F) {
	seeds := []struct {
		route int
		body  string
	}{
		{0, `{"email":"ada@example.com","address":{"name":"Ada","street":"1 Main St","city":"Springfield","postal_code":"12345","country_code":"US"},"card":{"number":"4242424242424242","exp_month":12,"exp_year":2031,"cvv":"123"}}`},
		{0, `{"card":{"number":"4242424242424241"}}`},
		{1, `{"product_id":"espresso-cup","quantity":2}`},
		{1, `{"product_id":"espresso-cup","quantity":-2147483648}`},
		{2, `{"email":"ada@example.com","password":"correct horse battery","name":"Ada"}`},
		{3, `{"email":"ada@example.com","password":"x"}`},
		{3, `{"unknown":1}`},
		{0, `[`},
		{1, "\x00\xff"},
		{2, `{"email":"` + strings.Repeat("a", 300) + `@example.com"}`},
	}
	for _, s := range seeds {
		f.Add(uint8(s.route), s.body)
	}
	h := newHarness(f)
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		path := apiBodyRoutes[int(route)%len(apiBodyRoutes)]
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(idempotencyHeader, "fuzz-key")
		rec := h.do(t, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: status %d: %s\nlogs: %s", path, body, rec.Code, rec.Body, h.logs)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && rec.Code != http.StatusNoContent {
			t.Fatalf("POST %s %q: Content-Type %q, want JSON", path, body, ct)
		}
		if rec.Code != http.StatusNoContent && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("POST %s %q: answer is not JSON: %s", path, body, rec.Body)
		}
	})
}

// FuzzCheckoutForm reads arbitrary form bodies as the checkout page does:
// it never panics, echoes at most maxEchoedBytes of any field, and accepts
// (no field errors) only a card that is all digits, passes Luhn and has
// not expired, with a valid e-mail address.
func FuzzCheckoutForm(f *testing.F) {
	f.Add("email=ada%40example.com&name=Ada&street=1+Main+St&city=Springfield&postal_code=12345&country=US" +
		"&card_number=4242+4242+4242+4242&exp_month=12&exp_year=2031&cvv=123")
	f.Add("card_number=4242424242424241&exp_month=13&exp_year=99")
	f.Add("exp_month=99999999999&exp_year=-1&email=%00")
	f.Add("card_number=%EF%BC%94242424242424242")
	f.Add("=&&;=%zz")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return // the server answers 400 before reading fields
		}
		req, values, errs := checkoutFromForm(form)
		for name, v := range values {
			if len(v) > maxEchoedBytes {
				t.Fatalf("field %s echoed %d bytes, more than %d", name, len(v), maxEchoedBytes)
			}
		}
		validateCheckout(req, now, &errs)
		if len(errs) > 0 {
			return
		}
		c := req.GetCard()
		if !card.Digits(c.GetNumber()) || !card.Luhn(c.GetNumber()) {
			t.Fatalf("accepted card number %q", c.GetNumber())
		}
		if card.Expired(int(c.GetExpYear()), int(c.GetExpMonth()), now) || c.GetExpMonth() < 1 || c.GetExpMonth() > 12 {
			t.Fatalf("accepted expiry %d/%d", c.GetExpMonth(), c.GetExpYear())
		}
		if !validEmail(req.GetEmail()) {
			t.Fatalf("accepted e-mail %q", req.GetEmail())
		}
	})
}

// FuzzFormQuantity: a cart quantity from a form is accepted only within
// [least, maxLineQuantity].
func FuzzFormQuantity(f *testing.F) {
	for _, s := range []string{"1", "", "0", "-1", "99", "100", "1e3", " 7 ", "9223372036854775808", "٣"} {
		f.Add(s, uint8(1))
	}
	f.Fuzz(func(t *testing.T, s string, least uint8) {
		l := int(least % 2)
		n, ok := formQuantity(s, l)
		if ok && (int(n) < l || int(n) > maxLineQuantity) {
			t.Fatalf("formQuantity(%q, %d) = %d, accepted outside [%d, %d]", s, l, n, l, maxLineQuantity)
		}
	})
}
