package storefront

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// wantNoInternals fails when a page or answer shows what shoppers must
// never see.
func wantNoInternals(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	wantNotInBody(t, rec.Body.String(), "rpc error", "goroutine", "panic", "Unavailable desc", "connection refused", "boom",
		"DeadlineExceeded", "deadline exceeded")
	if rec.Code == http.StatusInternalServerError {
		t.Errorf("500 for %s", rec.Body.String())
	}
}

// within fails when d is more than limit: a dependency that hangs must
// cost its deadline, not more.
func within(t *testing.T, what string, start time.Time, limit time.Duration) {
	t.Helper()
	if took := time.Since(start); took > limit {
		t.Errorf("%s took %v, want at most %v", what, took, limit)
	}
}

func TestAccountsDown(t *testing.T) {
	for _, o := range outages() {
		t.Run(o.name, func(t *testing.T) {
			h := newHarness(t)
			h.accounts.register("grace@example.com", "Grace", "cobol-1959")
			o.apply(&h.accounts.switches)
			b := h.browser(t)

			wantStatus(t, b.get("/signin"), http.StatusOK)
			rec := b.submit("/signin", urlValues("email", "grace@example.com", "password", "cobol-1959"))
			wantStatus(t, rec, http.StatusServiceUnavailable)
			wantBody(t, rec.Body.String(), "Signing in and signing up are unavailable right now", "check out as a guest",
				`value="grace@example.com"`)
			wantNoInternals(t, rec)

			wantStatus(t, b.get("/signup"), http.StatusOK)
			rec = b.submit("/signup", urlValues("email", "new@example.com", "name", "New", "password", "password123", "key", b.hidden["key"]))
			wantStatus(t, rec, http.StatusServiceUnavailable)
			wantBody(t, rec.Body.String(), "Signing in and signing up are unavailable right now", `value="new@example.com"`)
			wantNoInternals(t, rec)
			if b.session().signedIn() {
				t.Error("signed in while accounts is down")
			}
			wantAPIError(t, b.api(http.MethodPost, "/api/v1/session", `{"email":"grace@example.com","password":"cobol-1959"}`),
				http.StatusServiceUnavailable, "unavailable")
			wantAPIError(t, b.api(http.MethodPost, "/api/v1/accounts", `{"email":"n@example.com","password":"password123","name":"N"}`),
				http.StatusServiceUnavailable, "unavailable")

			// Browsing, the cart and a guest checkout go on.
			wantStatus(t, b.get("/"), http.StatusOK)
			b.addToCart("espresso-cup", 1)
			path := b.placeOrder()
			wantStatus(t, b.get(path), http.StatusOK)
		})
	}
}

func TestCartDown(t *testing.T) {
	for _, o := range outages() {
		t.Run(o.name, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser(t)
			o.apply(&h.cart.switches)

			for _, p := range []string{"/", "/products/espresso-cup", "/search?q=cup", "/category/kitchen"} {
				wantStatus(t, b.get(p), http.StatusOK)
			}
			wantStatus(t, b.get("/products/espresso-cup"), http.StatusOK)
			start := time.Now()
			rec := b.submit("/cart/items", urlValues("product_id", "espresso-cup", "quantity", "1", "key", b.hidden["key"]))
			within(t, "add to cart", start, 2*time.Second)
			wantStatus(t, rec, http.StatusServiceUnavailable)
			wantBody(t, rec.Body.String(), "We couldn&#39;t add that to your cart just now", "You can keep browsing")
			wantNoInternals(t, rec)

			rec = b.get("/cart")
			wantStatus(t, rec, http.StatusServiceUnavailable)
			wantBody(t, rec.Body.String(), "our cart is taking a short break")
			wantNoInternals(t, rec)

			rec = b.api(http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":1}`)
			wantAPIError(t, rec, http.StatusServiceUnavailable, "unavailable")
			wantAPIError(t, b.api(http.MethodGet, "/api/v1/cart", ""), http.StatusServiceUnavailable, "unavailable")
			wantAPIError(t, b.api(http.MethodPost, "/api/v1/checkout", checkoutJSON, idempotencyHeader, "k"),
				http.StatusServiceUnavailable, "unavailable")
			if h.orders.count("PlaceOrder") != 0 {
				t.Error("checkout went on without the cart")
			}
		})
	}
}

func TestOrdersDown(t *testing.T) {
	for _, o := range outages() {
		t.Run(o.name, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser(t)
			b.addToCart("espresso-cup", 1)
			form := b.checkoutPage()
			o.apply(&h.orders.switches)

			start := time.Now()
			rec := b.submit("/checkout", form)
			within(t, "checkout", start, 2*time.Second)
			wantStatus(t, rec, http.StatusServiceUnavailable)
			body := rec.Body.String()
			wantBody(t, body, "We can&#39;t take orders right now. Nothing was charged", `value="Ada Lovelace"`,
				`value="SW1Y 4JH"`, `name="key" value="`+form.Get("key")+`"`, "1 × Espresso Cup")
			wantNotInBody(t, body, "4242 4242")
			wantNoInternals(t, rec)

			for _, p := range []string{"/", "/products/espresso-cup", "/cart"} {
				wantStatus(t, b.get(p), http.StatusOK)
			}
			rec = b.get("/orders")
			wantStatus(t, rec, http.StatusServiceUnavailable)
			wantBody(t, rec.Body.String(), "We can&#39;t show your orders right now")
			wantNoInternals(t, rec)
			wantAPIError(t, b.api(http.MethodPost, "/api/v1/checkout", checkoutJSON, idempotencyHeader, "k"),
				http.StatusServiceUnavailable, "unavailable")
			wantAPIError(t, b.api(http.MethodGet, "/api/v1/orders/ord-1", ""), http.StatusServiceUnavailable, "unavailable")

			// Orders returns; the same form places the order once.
			h.orders.setFail(nil)
			h.orders.setHang(false)
			wantStatus(t, b.get("/checkout"), http.StatusOK)
			wantRedirect(t, b.submit("/checkout", form), "/orders/ord-1")
		})
	}
}

func TestInventoryDown(t *testing.T) {
	for _, o := range outages() {
		t.Run(o.name, func(t *testing.T) {
			h := newHarness(t)
			o.apply(&h.inventory.switches)
			start := time.Now()
			rec := h.get(t, "/products/desk-lamp")
			within(t, "product page", start, time.Second)
			wantStatus(t, rec, http.StatusOK)
			wantBody(t, rec.Body.String(), "<h1>Desk Lamp</h1>", `type="submit">Add to cart</button>`)
			wantNotInBody(t, rec.Body.String(), `class="stock`, "Only 3 left")
			wantNoInternals(t, rec)
		})
	}
}

func TestRecommendationsDown(t *testing.T) {
	for _, o := range outages() {
		t.Run(o.name, func(t *testing.T) {
			h := newHarness(t)
			o.apply(&h.recommendations.switches)
			start := time.Now()
			rec := h.get(t, "/products/espresso-cup")
			within(t, "product page", start, time.Second)
			wantStatus(t, rec, http.StatusOK)
			wantBody(t, rec.Body.String(), "<h1>Espresso Cup</h1>", `<p class="stock in">In stock</p>`)
			wantNotInBody(t, rec.Body.String(), "Often bought together", `href="/products/desk-lamp"`)
			wantNoInternals(t, rec)
		})
	}
}

func TestNotificationsDown(t *testing.T) {
	for _, o := range outages() {
		t.Run(o.name, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser(t)
			b.addToCart("espresso-cup", 1)
			path := b.placeOrder()
			h.notifications.send("ada@example.com", "Order received", "ord-1")
			o.apply(&h.notifications.switches)

			for _, p := range []string{"/messages", "/messages/msg-1"} {
				rec := b.get(p)
				wantStatus(t, rec, http.StatusServiceUnavailable)
				wantBody(t, rec.Body.String(), "Messages are temporarily unavailable")
				wantNoInternals(t, rec)
			}
			wantStatus(t, b.get(path), http.StatusOK)
			wantStatus(t, b.get("/"), http.StatusOK)
		})
	}
}

func TestMessagesWithoutAnAddress(t *testing.T) {
	h := newHarness(t)
	rec := h.get(t, "/messages")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), "Sign in, or place an order")
	if n := h.notifications.count("ListMessages"); n != 0 {
		t.Errorf("ListMessages called %d times for a session without an address", n)
	}
}

// Cart down at sign-in: the user is signed in, and the guest cart moves
// over once cart is back.
func TestSignInMergesGuestCartLater(t *testing.T) {
	h := newHarness(t)
	h.accounts.register("grace@example.com", "Grace", "cobol-1959")
	b := h.browser(t)
	b.addToCart("espresso-cup", 2)
	guest := b.session()

	h.cart.setFail(errDown())
	wantStatus(t, b.get("/signin"), http.StatusOK)
	wantRedirect(t, b.submit("/signin", urlValues("email", "grace@example.com", "password", "cobol-1959", "return", "/")), "/")
	if s := b.session(); !s.signedIn() || !s.MergePending {
		t.Fatalf("session after sign-in with cart down = %+v, want signed in with the merge pending", s)
	}
	wantStatus(t, b.get("/cart"), http.StatusServiceUnavailable)

	h.cart.setFail(nil)
	rec := b.get("/cart")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), "Espresso Cup", "Subtotal (2 items)")
	if s := b.session(); s.MergePending {
		t.Error("merge still pending after it happened")
	}
	if merges := h.cart.merged(); len(merges) != 1 || merges[0] != guest.ID+">user-1" {
		t.Errorf("merges = %v", merges)
	}
	if items := h.cart.items(guest.ID); len(items) != 0 {
		t.Errorf("guest cart after merge = %v, want empty", items)
	}
}

// Catalog down: the cart still shows what it holds, unpriced.
func TestCartWithCatalogDown(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	wantStatus(t, b.api(http.MethodPost, "/api/v1/cart/items", `{"product_id":"travel-backpack","quantity":1}`), http.StatusOK)
	h.catalog.setFail(errDown())
	h.clock.advance(testStaleFor + testFreshFor) // past the last good copy
	rec := b.get("/cart")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), "travel-backpack", "Price unavailable right now", "Some prices can&#39;t be shown right now",
		"Subtotal (1 item)", `href="/checkout"`)
	wantNoInternals(t, rec)
}

func TestShopCallsCarryDeadlines(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	b.addToCart("espresso-cup", 1)
	b.placeOrder()
	b.get("/orders/ord-1")
	b.get("/orders")
	h.notifications.send("ada@example.com", "Hi", "ord-1")
	b.get("/messages")
	wantStatus(t, b.get("/signin"), http.StatusOK)
	b.submit("/signin", url.Values{"email": {"x@example.com"}, "password": {"password123"}})
	tests := []struct {
		s      *switches
		method string
		max    time.Duration
	}{
		{&h.inventory.switches, "BatchGetAvailability", testExtrasTimeout},
		{&h.recommendations.switches, "ListRecommendations", testExtrasTimeout},
		{&h.cart.switches, "AddItem", testCallTimeout},
		{&h.cart.switches, "GetCart", testCallTimeout},
		{&h.orders.switches, "PlaceOrder", testCallTimeout},
		{&h.orders.switches, "GetOrder", testCallTimeout},
		{&h.orders.switches, "ListOrders", testCallTimeout},
		{&h.notifications.switches, "ListMessages", testCallTimeout},
		{&h.accounts.switches, "Authenticate", testCallTimeout},
	}
	for _, tt := range tests {
		if left := tt.s.timeLeft(tt.method); left <= 0 || left > tt.max {
			t.Errorf("%s had %v left, want a deadline within %v", tt.method, left, tt.max)
		}
	}
}
