package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
)

// shopper is one browser's worth of cookies against the JSON API.
type shopper struct {
	t    *testing.T
	base string
	http *http.Client
}

func newShopper(t *testing.T, base string) *shopper {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &shopper{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

// call sends a JSON request and decodes a JSON answer into out (when
// non-nil); it returns the status code and the raw body.
func (s *shopper) call(method, path string, headers map[string]string, body any, out proto.Message) (int, string) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 && len(raw) > 0 {
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: decode %T: %v\n%s", method, path, out, err, raw)
		}
	}
	return resp.StatusCode, string(raw)
}

func (s *shopper) mustCall(want int, method, path string, headers map[string]string, body any, out proto.Message) {
	s.t.Helper()
	if code, raw := s.call(method, path, headers, body, out); code != want {
		s.t.Fatalf("%s %s = %d, want %d: %s", method, path, code, want, raw)
	}
}

func (s *shopper) addToCart(productID string, qty int) {
	s.t.Helper()
	s.mustCall(http.StatusOK, http.MethodPost, "/api/v1/cart/items", nil, map[string]any{"product_id": productID, "quantity": qty}, nil)
}

func checkoutBody(email, card string) map[string]any {
	return map[string]any{
		"email": email,
		"address": map[string]any{
			"name": "Ada Lovelace", "street": "12 Analytical Row", "city": "London",
			"postal_code": "N1 7AA", "country_code": "GB",
		},
		"card": map[string]any{"number": card, "exp_month": 12, "exp_year": time.Now().Year() + 3, "cvv": "123"},
	}
}

// checkout buys the cart and returns the accepted order's id.
func (s *shopper) checkout(key, email, card string) string {
	s.t.Helper()
	var resp storefrontv1.CheckoutResponse
	s.mustCall(http.StatusAccepted, http.MethodPost, "/api/v1/checkout", map[string]string{"Idempotency-Key": key}, checkoutBody(email, card), &resp)
	if resp.GetOrderId() == "" {
		s.t.Fatalf("checkout answered no order id")
	}
	return resp.GetOrderId()
}

// awaitOrder polls the order until it is no longer PENDING.
func (s *shopper) awaitOrder(id string, within time.Duration) *storefrontv1.Order {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var resp storefrontv1.GetOrderResponse
		// While orders restarts the storefront rightly answers 503; the
		// order must still end CONFIRMED or CANCELLED.
		code, raw := s.call(http.MethodGet, "/api/v1/orders/"+id, nil, nil, &resp)
		switch {
		case code == http.StatusOK && resp.GetOrder().GetStatus() != "PENDING":
			return resp.GetOrder()
		case code != http.StatusOK && code != http.StatusServiceUnavailable:
			s.t.Fatalf("GET /api/v1/orders/%s = %d: %s", id, code, raw)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("order %s still PENDING after %v", id, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (sh *shop) pidOf(service string) int {
	sh.t.Helper()
	return instanceOf(sh.t, sh.registry(), service).PID
}

// killAndAwaitExit kill -9s a service and waits until the registry no
// longer lists it (the supervisor saw it die).
func (sh *shop) killAndAwaitExit(service string) int {
	sh.t.Helper()
	pid := sh.pidOf(service)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		sh.t.Fatal(err)
	}
	waitFor(sh.t, service+" to leave the registry", func() bool {
		for _, in := range sh.registry().Of(service) {
			if in.PID == pid {
				return false
			}
		}
		return true
	})
	return pid
}

// verify runs `bazaar verify` against the shop and fails on a violation.
func (sh *shop) verify(bin string) {
	sh.t.Helper()
	out, err := exec.Command(bin, "verify", "-data", sh.data, "-wait", "60s").CombinedOutput()
	sh.t.Logf("bazaar verify:\n%s", out)
	if err != nil {
		sh.t.Fatalf("bazaar verify failed: %v", err)
	}
}

// TestShopOrderFlowLosesNothing drives the whole shop over the public
// JSON API, against real processes: a purchase, an idempotent retry, a
// declined card, payment dead at checkout, orders killed mid-flight, a
// restart of the whole shop; then `bazaar verify` checks every invariant.
func TestShopOrderFlowLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes; runs in the full suite")
	}
	bin := buildCLI(t)
	data := t.TempDir() + "/data"
	sh := startShop(t, bin, data)
	products := sh.products("")

	// A signed-up shopper buys two things.
	ada := newShopper(t, sh.url)
	ada.mustCall(http.StatusCreated, http.MethodPost, "/api/v1/accounts", nil,
		map[string]any{"email": "ada@example.com", "password": "correct horse battery", "name": "Ada"}, nil)
	ada.addToCart(products.Products[0].ID, 2)
	ada.addToCart(products.Products[1].ID, 1)
	first := ada.checkout("key-1", "ada@example.com", "4242424242424242")

	// The same Idempotency-Key returns the same order.
	if again := ada.checkout("key-1", "ada@example.com", "4242424242424242"); again != first {
		t.Fatalf("retried checkout made order %s, first was %s", again, first)
	}
	order := ada.awaitOrder(first, 30*time.Second)
	if order.GetStatus() != "CONFIRMED" || len(order.GetItems()) != 2 || order.GetCardLastFour() != "4242" {
		t.Fatalf("order = %v, want CONFIRMED with 2 items paid by …4242", order)
	}

	// A declined card ends CANCELLED.
	bob := newShopper(t, sh.url)
	bob.addToCart(products.Products[2].ID, 1)
	declined := bob.awaitOrder(bob.checkout("key-2", "bob@example.com", "4000000000000002"), 30*time.Second)
	if declined.GetStatus() != "CANCELLED" || declined.GetCancelReason() == "" {
		t.Fatalf("declined order = %v, want CANCELLED with a reason", declined)
	}

	// Payment is dead when the order is placed: the order is accepted,
	// waits, and is confirmed once the supervisor has payment back.
	cy := newShopper(t, sh.url)
	cy.addToCart(products.Products[3].ID, 1)
	dead := sh.killAndAwaitExit("payment")
	pending := cy.checkout("key-3", "cy@example.com", "4242424242424242")
	if got := cy.awaitOrder(pending, 60*time.Second); got.GetStatus() != "CONFIRMED" {
		t.Fatalf("order placed while payment (pid %d) was dead = %s, want CONFIRMED", dead, got.GetStatus())
	}

	// Orders is killed with orders in flight: each accepted order still
	// completes after the supervisor restarts it.
	type placed struct {
		by *shopper
		id string
	}
	var inFlight []placed
	for i := range 5 {
		s := newShopper(t, sh.url)
		s.addToCart(products.Products[4+i].ID, 1)
		inFlight = append(inFlight, placed{s, s.checkout(fmt.Sprintf("flight-%d", i), fmt.Sprintf("f%d@example.com", i), "4242424242424242")})
	}
	sh.killAndAwaitExit("orders")
	waitFor(t, "orders to be restarted", func() bool { return len(sh.registry().Of("orders")) == 1 })
	for _, p := range inFlight {
		if got := p.by.awaitOrder(p.id, 60*time.Second); got.GetStatus() != "CONFIRMED" {
			t.Errorf("in-flight order %s = %s after orders was killed, want CONFIRMED", p.id, got.GetStatus())
		}
	}

	// Something in the cart, then the whole shop stops and starts again.
	ada.addToCart(products.Products[5].ID, 3)
	sh.verify(bin)
	sh.stop()
	if err := <-sh.exited; err != nil {
		t.Fatalf("bazaar up exited with %v", err)
	}
	sh2 := startShop(t, bin, data)
	ada2 := newShopper(t, sh2.url)
	ada2.mustCall(http.StatusCreated, http.MethodPost, "/api/v1/session", nil,
		map[string]any{"email": "ada@example.com", "password": "correct horse battery"}, nil)
	var orders storefrontv1.ListOrdersResponse
	ada2.mustCall(http.StatusOK, http.MethodGet, "/api/v1/orders", nil, nil, &orders)
	if len(orders.GetOrders()) != 1 || orders.GetOrders()[0].GetOrderId() != first {
		t.Errorf("after restart Ada's orders = %v, want [%s]", orders.GetOrders(), first)
	}
	var cart storefrontv1.GetCartResponse
	ada2.mustCall(http.StatusOK, http.MethodGet, "/api/v1/cart", nil, nil, &cart)
	if n := cart.GetCart().GetItemCount(); n != 3 {
		t.Errorf("after restart Ada's cart holds %d items, want 3", n)
	}
	sh2.verify(bin)
}
