package storefront

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// checkoutJSON is a valid checkout body.
const checkoutJSON = `{"email":"ada@example.com",
 "address":{"name":"Ada Lovelace","street":"12 St James's Square","city":"London","postal_code":"SW1Y 4JH","country_code":"GB"},
 "card":{"number":"4242424242424242","exp_month":12,"exp_year":2031,"cvv":"123"}}`

// decodeAPI decodes a JSON body into m, failing the test on error.
func decodeAPI(t *testing.T, data []byte, m proto.Message) {
	t.Helper()
	if err := protojson.Unmarshal(data, m); err != nil {
		t.Fatalf("body is not a %T: %v\n%s", m, err, data)
	}
}

func TestAPICartFlow(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)

	rec := b.api(http.MethodGet, "/api/v1/cart", "")
	wantStatus(t, rec, http.StatusOK)
	obj := decodeObject(t, rec.Body.String())
	if keys := jsonKeys(t, obj); !slices.Equal(keys, []string{"cart"}) {
		t.Errorf("keys = %v", keys)
	}
	cart := obj["cart"].(map[string]any)
	wantCartKeys := []string{"currency", "item_count", "items", "notice", "subtotal", "subtotal_display"}
	if keys := jsonKeys(t, cart); !slices.Equal(keys, wantCartKeys) {
		t.Errorf("cart keys = %v, want %v", keys, wantCartKeys)
	}
	if items, ok := cart["items"].([]any); !ok || len(items) != 0 || cart["subtotal_display"] != "$0.00" {
		t.Errorf("empty cart = %v", cart)
	}

	rec = b.api(http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":2}`)
	wantStatus(t, rec, http.StatusOK)
	rec = b.api(http.MethodPost, "/api/v1/cart/items", `{"product_id":"desk-lamp","quantity":1}`)
	wantStatus(t, rec, http.StatusOK)
	var added storefrontv1.AddCartItemResponse
	decodeAPI(t, rec.Body.Bytes(), &added)
	if c := added.GetCart(); c.GetItemCount() != 3 || len(c.GetItems()) != 2 || c.GetSubtotalDisplay() != "$71.48" {
		t.Errorf("cart after adds = %v", c)
	}
	line := decodeObject(t, rec.Body.String())["cart"].(map[string]any)["items"].([]any)[0].(map[string]any)
	wantLineKeys := []string{"image_url", "line_total", "line_total_display", "name", "product_id", "quantity", "unit_price", "unit_price_display"}
	if keys := jsonKeys(t, line); !slices.Equal(keys, wantLineKeys) {
		t.Errorf("line keys = %v, want %v", keys, wantLineKeys)
	}

	rec = b.api(http.MethodGet, "/api/v1/cart?currency=eur", "")
	wantStatus(t, rec, http.StatusOK)
	var got storefrontv1.GetCartResponse
	decodeAPI(t, rec.Body.Bytes(), &got)
	if c := got.GetCart(); c.GetCurrency() != "EUR" || c.GetSubtotalDisplay() != "€64.33" ||
		c.GetItems()[0].GetLineTotalDisplay() != "€23.38" || c.GetItems()[0].GetName() != "Espresso Cup" {
		t.Errorf("cart in EUR = %v", c)
	}

	rec = b.api(http.MethodDelete, "/api/v1/cart", "")
	wantStatus(t, rec, http.StatusNoContent)
	if rec.Body.Len() != 0 {
		t.Errorf("204 with a body: %q", rec.Body.String())
	}
	decodeAPI(t, b.api(http.MethodGet, "/api/v1/cart", "").Body.Bytes(), &got)
	if len(got.GetCart().GetItems()) != 0 {
		t.Errorf("cart after DELETE = %v", got.GetCart())
	}
}

func TestAPIAddCartItemIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	for range 3 {
		rec := b.api(http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":2}`, idempotencyHeader, "add-1")
		wantStatus(t, rec, http.StatusOK)
	}
	if items := h.cart.items(b.session().ID); len(items) != 1 || items[0].GetQuantity() != 2 {
		t.Errorf("cart after 3 adds with one key = %v, want 2 cups", items)
	}
	// Another session's same key is another addition.
	other := h.browser(t)
	wantStatus(t, other.api(http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":1}`, idempotencyHeader, "add-1"),
		http.StatusOK)
	if items := h.cart.items(other.session().ID); len(items) != 1 || items[0].GetQuantity() != 1 {
		t.Errorf("other session's cart = %v, want 1 cup", items)
	}
}

func TestAPIRequestErrors(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		headers     []string
		wantStatus  int
		wantCode    string
		wantMessage string
	}{
		{"form content type", http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":1}`,
			[]string{"Content-Type", "application/x-www-form-urlencoded"}, http.StatusBadRequest, "invalid_argument", "Content-Type"},
		{"no content type", http.MethodPost, "/api/v1/session", `{}`, []string{"Content-Type", ""}, http.StatusBadRequest, "invalid_argument", "Content-Type"},
		{"unknown field", http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":1,"price":0}`, nil,
			http.StatusBadRequest, "invalid_argument", "price"},
		{"malformed JSON", http.MethodPost, "/api/v1/cart/items", `{"product_id":`, nil, http.StatusBadRequest, "invalid_argument", "not valid JSON"},
		{"wrong type", http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":"lots"}`, nil,
			http.StatusBadRequest, "invalid_argument", "quantity"},
		{"zero quantity", http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":0}`, nil,
			http.StatusBadRequest, "invalid_argument", "quantity:"},
		{"bad product id", http.MethodPost, "/api/v1/cart/items", `{"product_id":"../x","quantity":1}`, nil,
			http.StatusBadRequest, "invalid_argument", "product_id:"},
		{"unknown product", http.MethodPost, "/api/v1/cart/items", `{"product_id":"no-such-thing","quantity":1}`, nil,
			http.StatusNotFound, "not_found", ""},
		{"too many", http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":99}`, nil,
			http.StatusConflict, "conflict", "at most 99"},
		{"body too large", http.MethodPost, "/api/v1/cart/items", `{"product_id":"` + strings.Repeat("a", maxJSONBytes) + `"}`, nil,
			http.StatusRequestEntityTooLarge, "payload_too_large", ""},
		{"bad idempotency key", http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":1}`,
			[]string{idempotencyHeader, "has spaces in it"}, http.StatusBadRequest, "invalid_argument", "Idempotency-Key"},
		{"cart method", http.MethodPut, "/api/v1/cart", "", nil, http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{"checkout by GET", http.MethodGet, "/api/v1/checkout", "", nil, http.StatusMethodNotAllowed, "method_not_allowed", "POST"},
		{"bad currency", http.MethodGet, "/api/v1/cart?currency=euro", "", nil, http.StatusBadRequest, "invalid_argument", "currency"},
		{"orders page size", http.MethodGet, "/api/v1/orders?page_size=x", "", nil, http.StatusBadRequest, "invalid_argument", "page_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser(t)
			if tt.wantStatus == http.StatusConflict {
				wantStatus(t, b.api(http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":1}`), http.StatusOK)
			}
			rec := b.api(tt.method, tt.path, tt.body, tt.headers...)
			wantAPIError(t, rec, tt.wantStatus, tt.wantCode)
			if !strings.Contains(rec.Body.String(), tt.wantMessage) {
				t.Errorf("message lacks %q: %s", tt.wantMessage, rec.Body.String())
			}
		})
	}
}

func TestAPICheckout(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	wantStatus(t, b.api(http.MethodPost, "/api/v1/cart/items", `{"product_id":"espresso-cup","quantity":2}`), http.StatusOK)

	wantAPIError(t, b.api(http.MethodPost, "/api/v1/checkout", checkoutJSON), http.StatusBadRequest, "invalid_argument")
	fieldErrors := []struct{ from, to, field string }{
		{`"ada@example.com"`, `"ada"`, "email:"},
		{`"SW1Y 4JH"`, `""`, "address.postal_code:"},
		{`"GB"`, `"Britain"`, "address.country_code:"},
		{`"4242424242424242"`, `"42"`, "card.number:"},
		{`"exp_month":12`, `"exp_month":0`, "card.exp_month:"},
		{`"exp_year":2031`, `"exp_year":2020`, "card.exp_year:"},
		{`"123"`, `"12345"`, "card.cvv:"},
		{`"cvv":"123"}`, `"cvv":"123"},"currency":"XXX"`, "currency:"},
	}
	for _, fe := range fieldErrors {
		rec := b.api(http.MethodPost, "/api/v1/checkout", strings.Replace(checkoutJSON, fe.from, fe.to, 1), idempotencyHeader, "k-bad")
		wantAPIError(t, rec, http.StatusBadRequest, "invalid_argument")
		if !strings.Contains(rec.Body.String(), `"message":"`+fe.field) {
			t.Errorf("error does not name %s: %s", fe.field, rec.Body.String())
		}
		if strings.Contains(rec.Body.String(), "4242424242424242") {
			t.Error("error echoes the card number")
		}
	}
	if h.orders.count("PlaceOrder") != 0 {
		t.Fatal("an invalid checkout reached orders")
	}

	rec := b.api(http.MethodPost, "/api/v1/checkout", checkoutJSON, idempotencyHeader, "checkout-1")
	wantStatus(t, rec, http.StatusAccepted)
	obj := decodeObject(t, rec.Body.String())
	if keys := jsonKeys(t, obj); !slices.Equal(keys, []string{"order_id", "status"}) {
		t.Errorf("keys = %v", keys)
	}
	if obj["order_id"] != "ord-1" || obj["status"] != "PENDING" || rec.Header().Get("Location") != "/api/v1/orders/ord-1" {
		t.Errorf("checkout answer = %v, Location %q", obj, rec.Header().Get("Location"))
	}
	if n := h.cart.removedFor("ord-1"); n != 1 {
		t.Errorf("RemoveOrderedItems called %d times for the new order, want 1 (right after checkout)", n)
	}
	again := b.api(http.MethodPost, "/api/v1/checkout", checkoutJSON, idempotencyHeader, "checkout-1")
	wantStatus(t, again, http.StatusAccepted)
	if again.Body.String() != rec.Body.String() || h.orders.numOrders() != 1 {
		t.Errorf("repeated checkout = %s (%d orders), want the same order", again.Body.String(), h.orders.numOrders())
	}

	rec = b.api(http.MethodGet, "/api/v1/orders/ord-1", "")
	wantStatus(t, rec, http.StatusOK)
	order := decodeObject(t, rec.Body.String())["order"].(map[string]any)
	wantOrderKeys := []string{"address", "cancel_reason", "card_last_four", "carrier", "create_time", "currency", "email", "items",
		"order_id", "shipping", "shipping_display", "status", "subtotal", "subtotal_display", "total", "total_display",
		"tracking_id", "update_time"}
	if keys := jsonKeys(t, order); !slices.Equal(keys, wantOrderKeys) {
		t.Errorf("order keys = %v, want %v", keys, wantOrderKeys)
	}
	var got storefrontv1.GetOrderResponse
	decodeAPI(t, rec.Body.Bytes(), &got)
	if o := got.GetOrder(); o.GetStatus() != "PENDING" || o.GetTotalDisplay() != "$30.98" || o.GetSubtotalDisplay() != "$25.98" ||
		o.GetShippingDisplay() != "$5.00" || len(o.GetItems()) != 1 || o.GetItems()[0].GetLineTotalDisplay() != "$25.98" ||
		o.GetCardLastFour() != "4242" || o.GetAddress().GetPostalCode() != "SW1Y 4JH" {
		t.Errorf("order = %v", o)
	}

	rec = b.api(http.MethodGet, "/api/v1/orders", "")
	wantStatus(t, rec, http.StatusOK)
	var list storefrontv1.ListOrdersResponse
	decodeAPI(t, rec.Body.Bytes(), &list)
	if len(list.GetOrders()) != 1 || list.GetOrders()[0].GetOrderId() != "ord-1" {
		t.Errorf("orders = %v", list.GetOrders())
	}

	// The same key from another session is another checkout, never the
	// first session's order.
	other := h.browser(t)
	rec = other.api(http.MethodPost, "/api/v1/checkout", checkoutJSON, idempotencyHeader, "checkout-1")
	wantAPIError(t, rec, http.StatusBadRequest, "invalid_argument") // its cart is empty
	wantBody(t, rec.Body.String(), "Your cart is empty.")
	wantAPIError(t, other.api(http.MethodGet, "/api/v1/orders/ord-1", ""), http.StatusNotFound, "not_found")
	decodeAPI(t, other.api(http.MethodGet, "/api/v1/orders", "").Body.Bytes(), &list)
	if len(list.GetOrders()) != 0 {
		t.Errorf("another session lists %v", list.GetOrders())
	}
}

func TestAPIAccountsAndSession(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	wantStatus(t, b.api(http.MethodPost, "/api/v1/cart/items", `{"product_id":"desk-lamp","quantity":1}`), http.StatusOK)
	guest := b.session()

	rec := b.api(http.MethodPost, "/api/v1/accounts", `{"email":"grace@example.com","password":"cobol-1959","name":"Grace"}`)
	wantStatus(t, rec, http.StatusCreated)
	user := decodeObject(t, rec.Body.String())["user"].(map[string]any)
	if keys := jsonKeys(t, user); !slices.Equal(keys, []string{"email", "id", "name"}) || user["id"] != "user-1" {
		t.Errorf("user = %v", user)
	}
	if s := b.session(); s.UserID != "user-1" || s.ID != guest.ID {
		t.Errorf("session after sign-up = %+v", s)
	}
	var cart storefrontv1.GetCartResponse
	decodeAPI(t, b.api(http.MethodGet, "/api/v1/cart", "").Body.Bytes(), &cart)
	if len(cart.GetCart().GetItems()) != 1 {
		t.Errorf("user's cart after sign-up = %v, want the guest's lamp", cart.GetCart())
	}

	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantCode   string
	}{
		{"e-mail taken", http.MethodPost, "/api/v1/accounts", `{"email":"grace@example.com","password":"cobol-1959","name":"G"}`, http.StatusConflict, "conflict"},
		{"short password", http.MethodPost, "/api/v1/accounts", `{"email":"x@example.com","password":"short","name":"X"}`, http.StatusBadRequest, "invalid_argument"},
		{"wrong password", http.MethodPost, "/api/v1/session", `{"email":"grace@example.com","password":"fortran-57"}`, http.StatusUnauthorized, "unauthenticated"},
		{"unknown user", http.MethodPost, "/api/v1/session", `{"email":"nobody@example.com","password":"fortran-57"}`, http.StatusUnauthorized, "unauthenticated"},
		{"no password", http.MethodPost, "/api/v1/session", `{"email":"grace@example.com"}`, http.StatusBadRequest, "invalid_argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, h.browser(t).api(tt.method, tt.path, tt.body), tt.wantStatus, tt.wantCode)
		})
	}

	rec = b.api(http.MethodDelete, "/api/v1/session", "")
	wantStatus(t, rec, http.StatusNoContent)
	if s := b.session(); s.signedIn() || s.ID == guest.ID {
		t.Errorf("session after DELETE = %+v, want a new guest", s)
	}
	wantStatus(t, b.api(http.MethodDelete, "/api/v1/session", ""), http.StatusNoContent)

	rec = b.api(http.MethodPost, "/api/v1/session", `{"email":"Grace@Example.com","password":"cobol-1959"}`)
	wantStatus(t, rec, http.StatusCreated)
	var signed storefrontv1.CreateSessionResponse
	decodeAPI(t, rec.Body.Bytes(), &signed)
	if signed.GetUser().GetId() != "user-1" || b.session().UserID != "user-1" {
		t.Errorf("sign-in answer %v, session %+v", signed.GetUser(), b.session())
	}
}
