package storefront

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// checkoutForm is a valid checkout form for key.
func checkoutForm(key string) url.Values {
	return url.Values{
		"key": {key}, "email": {"Ada@Example.com"}, "name": {"Ada Lovelace"}, "street": {"12 St James's Square"},
		"city": {"London"}, "postal_code": {"SW1Y 4JH"}, "country": {"gb"},
		"card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"}, "exp_year": {"2031"}, "cvv": {"123"},
	}
}

// checkoutPage opens the checkout page and returns its form with valid
// values and the page's idempotency key.
func (b *browser) checkoutPage() url.Values {
	b.t.Helper()
	rec := b.get("/checkout")
	wantStatus(b.t, rec, http.StatusOK)
	key := b.hidden["key"]
	if key == "" {
		b.t.Fatalf("checkout page has no idempotency key:\n%s", rec.Body.String())
	}
	return checkoutForm(key)
}

// placeOrder checks out the browser's cart and returns the order page path.
func (b *browser) placeOrder() string {
	b.t.Helper()
	rec := b.submit("/checkout", b.checkoutPage())
	wantStatus(b.t, rec, http.StatusSeeOther)
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, "/orders/") {
		b.t.Fatalf("checkout went to %q, want an order page", loc)
	}
	return loc
}

func TestJourneyCartToConfirmedOrder(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	b.cookies[currencyCookie] = currencyIs("EUR")

	b.addToCart("espresso-cup", 2)
	b.addToCart("desk-lamp", 1)
	rec := b.get("/cart")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), "Espresso Cup", "€11.69 each", "€23.38", "Desk Lamp", "€40.95",
		"Subtotal (3 items)", "€64.33", `href="/checkout"`)

	form := b.checkoutPage()
	rec = b.get("/checkout")
	wantBody(t, rec.Body.String(), "2 × Espresso Cup", "€64.33", `action="/checkout"`)
	rec = b.submit("/checkout", form)
	wantRedirect(t, rec, "/orders/ord-1")

	req := h.orders.lastRequest()
	sess := b.session()
	if req.GetShopperId() != sess.ID || req.GetUserId() != "" || req.GetCurrencyCode() != "EUR" ||
		req.GetEmail() != "Ada@Example.com" || req.GetCard().GetNumber() != "4242424242424242" ||
		req.GetShippingAddress().GetCountryCode() != "GB" || len(req.GetItems()) != 2 {
		t.Errorf("PlaceOrder request = %v", req)
	}
	if strings.Contains(req.GetIdempotencyKey(), form.Get("key")) {
		t.Errorf("idempotency key %q is the client's, not bound to the session", req.GetIdempotencyKey())
	}
	if sess.CheckoutEmail != "ada@example.com" {
		t.Errorf("session checkout e-mail = %q", sess.CheckoutEmail)
	}

	rec = b.get("/orders/ord-1")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	wantBody(t, body, `<meta http-equiv="refresh" content="2">`, "Order ord-1", `class="status status-PENDING">PENDING`,
		"Espresso Cup", "€23.38", "€64.33", "€4.50", "€68.83", "ending in 4242", "Ada Lovelace", "SW1Y 4JH")

	h.orders.settle("ord-1", ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED, 0, "TRK-123")
	rec = b.get("/orders/ord-1")
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	wantBody(t, body, `class="status status-CONFIRMED">CONFIRMED`, "Your order is confirmed", "TRK-123", "Bazaar Post")
	wantNotInBody(t, body, `http-equiv="refresh"`)

	rec = b.get("/orders")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), `href="/orders/ord-1"`, "€68.83", "CONFIRMED")

	rec = b.get("/cart")
	wantBody(t, rec.Body.String(), "Your cart is empty")

	h.notifications.send("ada@example.com", "Your order ord-1 is confirmed", "ord-1")
	h.notifications.send("someone@example.com", "Not for Ada", "ord-9")
	rec = b.get("/messages")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), "Your order ord-1 is confirmed", `href="/messages/msg-1"`)
	wantNotInBody(t, rec.Body.String(), "Not for Ada")
	rec = b.get("/messages/msg-1")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), "Your order ord-1 is confirmed", "— Bazaar", `href="/orders/ord-1"`)
	wantStatus(t, b.get("/messages/msg-2"), http.StatusNotFound)
}

func TestCancelledOrderShowsReason(t *testing.T) {
	tests := []struct {
		reason ordersv1.CancelReason
		want   string
	}{
		{ordersv1.CancelReason_CANCEL_REASON_OUT_OF_STOCK, "An item was out of stock."},
		{ordersv1.CancelReason_CANCEL_REASON_PAYMENT_DECLINED, "The card issuer declined the payment."},
		{ordersv1.CancelReason_CANCEL_REASON_INSUFFICIENT_FUNDS, "The card has insufficient funds."},
	}
	for _, tt := range tests {
		t.Run(tt.reason.String(), func(t *testing.T) {
			h := newHarness(t)
			b := h.browser(t)
			b.addToCart("espresso-cup", 1)
			path := b.placeOrder()
			h.orders.settle(strings.TrimPrefix(path, "/orders/"), ordersv1.OrderStatus_ORDER_STATUS_CANCELLED, tt.reason, "")
			rec := b.get(path)
			wantStatus(t, rec, http.StatusOK)
			wantBody(t, rec.Body.String(), "CANCELLED", "This order was cancelled.", tt.want)
			wantNotInBody(t, rec.Body.String(), `http-equiv="refresh"`)
		})
	}
}

func TestCheckoutFieldErrors(t *testing.T) {
	const secretNumber, secretCVV = "4000056655665556", "987"
	tests := []struct {
		input, value string
		want         string
	}{
		{"email", "ada@", "Enter your e-mail address"},
		{"email", "Ada <ada@example.com>", "Enter your e-mail address"},
		{"name", "", "Enter the recipient&#39;s name"},
		{"name", strings.Repeat("n", 101), "Enter the recipient&#39;s name"},
		{"street", " ", "Enter the street and number."},
		{"city", "", "Enter the city or town."},
		{"postal_code", "SW1Y<4JH", "Enter the postal code"},
		{"country", "GBR", "Enter the two-letter country code"},
		{"card_number", "4242", "Enter the card number: 12 to 19 digits."},
		{"card_number", "4242 4242 4242 424x", "Enter the card number: 12 to 19 digits."},
		{"exp_month", "13", "Enter the expiry month, 1 to 12."},
		{"exp_month", "soon", "Enter the expiry month, 1 to 12."},
		{"exp_year", "31", "Enter the expiry year with four digits"},
		{"exp_year", "2025", "This card has expired."},
		{"cvv", "12", "Enter the 3 or 4 digit security code"},
	}
	for _, tt := range tests {
		t.Run(tt.input+"="+tt.value, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser(t)
			b.addToCart("espresso-cup", 1)
			form := b.checkoutPage()
			key := form.Get("key")
			form.Set("card_number", secretNumber)
			form.Set("cvv", secretCVV)
			form.Set(tt.input, tt.value)
			rec := b.submit("/checkout", form)
			wantStatus(t, rec, http.StatusBadRequest)
			body := rec.Body.String()
			errorOf := regexp.MustCompile(`<p class="field-error" id="e-` + tt.input + `">([^<]*)</p>`).FindStringSubmatch(body)
			if errorOf == nil || !strings.Contains(errorOf[1], tt.want) {
				t.Errorf("error of %s = %v, want %q", tt.input, errorOf, tt.want)
			}
			if n := strings.Count(body, `class="field-error"`); n != 1 {
				t.Errorf("%d field errors shown, want 1:\n%s", n, body)
			}
			// Values are kept, secrets are not, the key is the same.
			wantBody(t, body, "Please correct the fields marked below.", `name="key" value="`+key+`"`)
			if tt.input != "name" && tt.input != "city" {
				wantBody(t, body, `value="Ada Lovelace"`, `value="London"`)
			}
			wantNotInBody(t, body, secretNumber, "4000 0566", `value="`+secretCVV+`"`)
			if h.orders.numOrders() != 0 || h.orders.count("PlaceOrder") != 0 {
				t.Error("an order was placed from an invalid form")
			}
		})
	}
}

func TestCheckoutDoubleSubmitMakesOneOrder(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	b.addToCart("espresso-cup", 1)
	form := b.checkoutPage()
	first := b.submit("/checkout", form)
	wantStatus(t, first, http.StatusSeeOther)
	// The first order emptied the cart; the second submission still finds it.
	second := b.submit("/checkout", form)
	wantRedirect(t, second, first.Header().Get("Location"))
	if n := h.orders.numOrders(); n != 1 {
		t.Errorf("%d orders from one form submitted twice, want 1", n)
	}
	// A new checkout (new form, new key) is a new order.
	b.addToCart("desk-lamp", 1)
	if loc := b.placeOrder(); loc == first.Header().Get("Location") {
		t.Error("a second checkout answered with the first order")
	}
}

func TestCheckoutOfEmptyCart(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	wantRedirect(t, b.get("/checkout"), "/cart")
	wantStatus(t, b.get("/"), http.StatusOK)
	rec := b.submit("/checkout", checkoutForm("some-key"))
	wantStatus(t, rec, http.StatusBadRequest)
	wantBody(t, rec.Body.String(), "Your cart is empty.")
	if h.orders.numOrders() != 0 {
		t.Error("an empty cart made an order")
	}
}

func TestCheckoutWithoutKeyIsAStaleForm(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	b.addToCart("espresso-cup", 1)
	form := b.checkoutPage()
	form.Del("key")
	rec := b.submit("/checkout", form)
	wantStatus(t, rec, http.StatusBadRequest)
	wantBody(t, rec.Body.String(), "This form has expired", `value="Ada Lovelace"`)
	if b.hidden["key"] == "" || h.orders.numOrders() != 0 {
		t.Errorf("key %q, %d orders; want a new key and no order", b.hidden["key"], h.orders.numOrders())
	}
}

func TestFormsNeedTheSessionsCSRFToken(t *testing.T) {
	h := newHarness(t)
	other := h.browser(t)
	wantStatus(t, other.get("/"), http.StatusOK)
	othersToken := other.hidden[csrfField]

	b := h.browser(t)
	b.addToCart("espresso-cup", 1)
	posts := []struct {
		path string
		form url.Values
	}{
		{"/cart/items", urlValues("product_id", "desk-lamp", "quantity", "1")},
		{"/cart/items/espresso-cup", urlValues("quantity", "5")},
		{"/cart/items/espresso-cup/delete", url.Values{}},
		{"/checkout", checkoutForm("k1")},
		{"/signup", urlValues("email", "eve@example.com", "name", "Eve", "password", "password123")},
		{"/signin", urlValues("email", "eve@example.com", "password", "password123")},
		{"/signout", url.Values{}},
		{"/currency", urlValues("code", "EUR")},
	}
	for _, p := range posts {
		for name, token := range map[string]string{"missing": "", "another session's": othersToken, "malformed": "%%%"} {
			t.Run(p.path+"/"+name, func(t *testing.T) {
				form := url.Values{}
				for k, v := range p.form {
					form[k] = v
				}
				form.Set(csrfField, token)
				rec := b.submit(p.path, form)
				wantStatus(t, rec, http.StatusForbidden)
				wantBody(t, rec.Body.String(), "This form has expired or didn&#39;t come from this shop.")
			})
		}
	}
	if items := h.cart.items(b.session().ID); len(items) != 1 || items[0].GetQuantity() != 1 {
		t.Errorf("cart after rejected forms = %v, want 1 espresso cup", items)
	}
	if h.orders.numOrders() != 0 || h.accounts.count("CreateAccount")+h.accounts.count("Authenticate") != 0 {
		t.Error("a rejected form reached a service")
	}
	if b.session().ID == "" || b.session().signedIn() {
		t.Error("session changed by a rejected form")
	}
}

func TestOtherShoppersOrdersAndMessagesAreNotFound(t *testing.T) {
	h := newHarness(t)
	ada := h.browser(t)
	ada.addToCart("espresso-cup", 1)
	path := ada.placeOrder()
	h.notifications.send("ada@example.com", "Your order is confirmed", strings.TrimPrefix(path, "/orders/"))

	eve := h.browser(t)
	eve.addToCart("desk-lamp", 1)
	evePath := eve.placeOrder()
	h.orders.add(&ordersv1.Order{Id: "ord-user-9", ShopperId: "user-9", UserId: "user-9", Email: "bob@example.com",
		Status: ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED, ShippingAddress: &typesv1.Address{Name: "Bob"}})

	for _, p := range []string{path, "/orders/ord-user-9", "/orders/no-such-order", "/orders/bad!id"} {
		rec := eve.get(p)
		wantStatus(t, rec, http.StatusNotFound)
		wantBody(t, rec.Body.String(), "We couldn&#39;t find that order.")
		wantNotInBody(t, rec.Body.String(), "Ada Lovelace", "Bob")
		wantAPIError(t, eve.api(http.MethodGet, "/api/v1"+p, ""), http.StatusNotFound, "not_found")
	}
	wantStatus(t, eve.get(evePath), http.StatusOK)
	rec := eve.get("/orders")
	wantBody(t, rec.Body.String(), `href="`+evePath+`"`)
	wantNotInBody(t, rec.Body.String(), `href="`+path+`"`, "ord-user-9")

	// Eve typed Ada's e-mail address at her checkout: that shows her the
	// messages about her own order, never Ada's.
	h.notifications.send("ada@example.com", "Eve's order is confirmed", strings.TrimPrefix(evePath, "/orders/"))
	rec = eve.get("/messages")
	wantBody(t, rec.Body.String(), "Eve&#39;s order is confirmed")
	wantNotInBody(t, rec.Body.String(), "Your order is confirmed")
	wantStatus(t, eve.get("/messages/msg-2"), http.StatusOK)
	wantStatus(t, eve.get("/messages/msg-1"), http.StatusNotFound)
	wantStatus(t, h.browser(t).get("/messages/msg-1"), http.StatusNotFound)
	wantStatus(t, ada.get("/messages/msg-1"), http.StatusOK)
}

func TestSignUpSignInAndOut(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	b.addToCart("espresso-cup", 2)
	guest := b.session()

	wantStatus(t, b.get("/signup?return=/checkout"), http.StatusOK)
	form := urlValues("email", "grace@example.com", "name", "Grace Hopper", "password", "cobol-1959",
		"key", b.hidden["key"], "return", b.hidden["return"])
	wantRedirect(t, b.submit("/signup", form), "/checkout")
	user := b.session()
	if user.UserID != "user-1" || user.Email != "grace@example.com" || user.Name != "Grace Hopper" || user.ID != guest.ID || user.MergePending {
		t.Errorf("session after sign-up = %+v", user)
	}
	if merges := h.cart.merged(); len(merges) != 1 || merges[0] != guest.ID+">user-1" {
		t.Errorf("merges = %v, want the guest cart moved to user-1", merges)
	}
	rec := b.get("/cart")
	wantBody(t, rec.Body.String(), "Espresso Cup", "Subtotal (2 items)", "Sign out")
	wantNotInBody(t, rec.Body.String(), `href="/signin`)

	// The user's order shows in the history of the account.
	rec = b.submit("/checkout", b.checkoutPage())
	wantStatus(t, rec, http.StatusSeeOther)
	if req := h.orders.lastRequest(); req.GetShopperId() != "user-1" || req.GetUserId() != "user-1" {
		t.Errorf("signed-in order placed for shopper %q, user %q", req.GetShopperId(), req.GetUserId())
	}

	wantStatus(t, b.get("/"), http.StatusOK)
	wantRedirect(t, b.submit("/signout", url.Values{}), "/")
	out := b.session()
	if out.signedIn() || out.ID == guest.ID || out.CheckoutEmail != "" {
		t.Errorf("session after sign-out = %+v, want a new guest", out)
	}
	wantBody(t, b.get("/orders").Body.String(), "No orders yet")

	// Wrong password: 401, the e-mail kept, the password not.
	wantStatus(t, b.get("/signin"), http.StatusOK)
	rec = b.submit("/signin", urlValues("email", "grace@example.com", "password", "wrong-password", "return", "/orders"))
	wantStatus(t, rec, http.StatusUnauthorized)
	wantBody(t, rec.Body.String(), "The e-mail address or password is wrong.", `value="grace@example.com"`)
	wantNotInBody(t, rec.Body.String(), "wrong-password")

	b.addToCart("desk-lamp", 1)
	wantRedirect(t, b.submit("/signin", urlValues("email", "GRACE@example.com", "password", "cobol-1959", "return", "/orders")), "/orders")
	rec = b.get("/orders")
	wantBody(t, rec.Body.String(), `href="/orders/ord-1"`)
	rec = b.get("/cart")
	wantBody(t, rec.Body.String(), "Desk Lamp")
}

func TestSignUpErrors(t *testing.T) {
	h := newHarness(t)
	h.accounts.register("taken@example.com", "Taken", "password123")
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		want       string
	}{
		{"e-mail taken", urlValues("email", "taken@example.com", "name", "Tim", "password", "password123"),
			http.StatusConflict, "An account with this e-mail address already exists."},
		{"short password", urlValues("email", "tim@example.com", "name", "Tim", "password", "short"),
			http.StatusBadRequest, "Choose a password of 8 to 128 characters."},
		{"no name", urlValues("email", "tim@example.com", "name", " ", "password", "password123"),
			http.StatusBadRequest, "Enter your name"},
		{"bad e-mail", urlValues("email", "tim", "name", "Tim", "password", "password123"),
			http.StatusBadRequest, "Enter your e-mail address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := h.browser(t)
			wantStatus(t, b.get("/signup"), http.StatusOK)
			rec := b.submit("/signup", tt.form)
			wantStatus(t, rec, tt.wantStatus)
			wantBody(t, rec.Body.String(), tt.want, `class="field-error"`)
			wantNotInBody(t, rec.Body.String(), "password123")
			if b.session().signedIn() {
				t.Error("signed in after a failed sign-up")
			}
		})
	}
}

func TestCartChanges(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	b.addToCart("espresso-cup", 1)
	b.addToCart("desk-lamp", 1)
	wantStatus(t, b.get("/cart"), http.StatusOK)

	wantRedirect(t, b.submit("/cart/items/espresso-cup", urlValues("quantity", "3")), "/cart")
	rec := b.get("/cart")
	wantBody(t, rec.Body.String(), `value="3"`, "$38.97", "Subtotal (4 items)", "$84.47")

	wantRedirect(t, b.submit("/cart/items/desk-lamp/delete", url.Values{}), "/cart")
	wantRedirect(t, b.submit("/cart/items/espresso-cup", urlValues("quantity", "0")), "/cart")
	wantBody(t, b.get("/cart").Body.String(), "Your cart is empty")

	tests := []struct {
		path       string
		form       url.Values
		wantStatus int
	}{
		{"/cart/items", urlValues("product_id", "espresso-cup", "quantity", "0"), http.StatusBadRequest},
		{"/cart/items", urlValues("product_id", "espresso-cup", "quantity", "100"), http.StatusBadRequest},
		{"/cart/items", urlValues("product_id", "espresso-cup", "quantity", "two"), http.StatusBadRequest},
		{"/cart/items", urlValues("product_id", "Bad!", "quantity", "1"), http.StatusNotFound},
		{"/cart/items", urlValues("product_id", "no-such-thing", "quantity", "1"), http.StatusNotFound},
		{"/cart/items/espresso-cup", urlValues("quantity", "-1"), http.StatusBadRequest},
	}
	for _, tt := range tests {
		rec := b.submit(tt.path, tt.form)
		wantStatus(t, rec, tt.wantStatus)
	}
	b.addToCart("espresso-cup", 99)
	wantStatus(t, b.get("/products/espresso-cup"), http.StatusOK)
	rec = b.submit("/cart/items", urlValues("product_id", "espresso-cup", "quantity", "1", "key", b.hidden["key"]))
	wantStatus(t, rec, http.StatusConflict)
	wantBody(t, rec.Body.String(), "at most 99 of one product")
}

func TestAddToCartFormIsIdempotent(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	wantStatus(t, b.get("/products/espresso-cup"), http.StatusOK)
	form := urlValues("product_id", "espresso-cup", "quantity", "2", "key", b.hidden["key"])
	wantRedirect(t, b.submit("/cart/items", form), "/cart")
	wantRedirect(t, b.submit("/cart/items", form), "/cart")
	if items := h.cart.items(b.session().ID); len(items) != 1 || items[0].GetQuantity() != 2 {
		t.Errorf("cart after a resubmitted form = %v, want 2 espresso cups", items)
	}
}

func TestCartShowsProductsNoLongerSold(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	b.addToCart("espresso-cup", 1)
	b.addToCart("desk-lamp", 1)
	h.catalog.products = h.catalog.products[:1] // desk-lamp is no longer sold
	h.clock.advance(testFreshFor + 1)
	rec := b.get("/cart")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), "No longer available", goneNotice, `action="/cart/items/desk-lamp/delete"`, "Subtotal (1 item)", "$12.99")
}
