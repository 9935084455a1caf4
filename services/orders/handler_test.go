package orders

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

func TestPlaceOrderRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		change func(r *ordersv1.PlaceOrderRequest)
		field  string // named in the message
	}{
		{"no key", func(r *ordersv1.PlaceOrderRequest) { r.IdempotencyKey = "" }, "idempotency_key"},
		{"long key", func(r *ordersv1.PlaceOrderRequest) { r.IdempotencyKey = strings.Repeat("k", 129) }, "idempotency_key"},
		{"no shopper", func(r *ordersv1.PlaceOrderRequest) { r.ShopperId = "" }, "shopper_id"},
		{"control char in user", func(r *ordersv1.PlaceOrderRequest) { r.UserId = "u\n1" }, "user_id"},
		{"no email", func(r *ordersv1.PlaceOrderRequest) { r.Email = "" }, "email"},
		{"bad email", func(r *ordersv1.PlaceOrderRequest) { r.Email = "ada at example.com" }, "email"},
		{"named email", func(r *ordersv1.PlaceOrderRequest) { r.Email = "Ada <ada@example.com>" }, "email"},
		{"long email", func(r *ordersv1.PlaceOrderRequest) { r.Email = strings.Repeat("a", 250) + "@b.co" }, "email"},
		{"no address", func(r *ordersv1.PlaceOrderRequest) { r.ShippingAddress = nil }, "shipping_address"},
		{"no city", func(r *ordersv1.PlaceOrderRequest) { r.ShippingAddress.City = "" }, "shipping_address.city"},
		{"no postal code", func(r *ordersv1.PlaceOrderRequest) { r.ShippingAddress.PostalCode = "" }, "shipping_address.postal_code"},
		{"bad country", func(r *ordersv1.PlaceOrderRequest) { r.ShippingAddress.CountryCode = "gb" }, "shipping_address.country_code"},
		{"no items", func(r *ordersv1.PlaceOrderRequest) { r.Items = nil }, "items"},
		{"too many items", func(r *ordersv1.PlaceOrderRequest) {
			r.Items = nil
			for i := range MaxItems + 1 {
				r.Items = append(r.Items, &ordersv1.LineItem{ProductId: fmt.Sprintf("p-%d", i), Quantity: 1})
			}
		}, "items"},
		{"zero quantity", func(r *ordersv1.PlaceOrderRequest) { r.Items[1].Quantity = 0 }, "items[1].quantity"},
		{"quantity 100", func(r *ordersv1.PlaceOrderRequest) { r.Items[0].Quantity = 100 }, "items[0].quantity"},
		{"duplicate product", func(r *ordersv1.PlaceOrderRequest) { r.Items[1].ProductId = r.Items[0].ProductId }, "items[1].product_id"},
		{"malformed product", func(r *ordersv1.PlaceOrderRequest) { r.Items[0].ProductId = "Teapot!" }, "items[0].product_id"},
		{"unknown product", func(r *ordersv1.PlaceOrderRequest) { r.Items[1].ProductId = "no-such-thing" }, "items[1].product_id"},
		{"bad currency", func(r *ordersv1.PlaceOrderRequest) { r.CurrencyCode = "eur" }, "currency_code"},
		{"unsupported currency", func(r *ordersv1.PlaceOrderRequest) { r.CurrencyCode = "XYZ" }, "currency_code"},
		{"no card", func(r *ordersv1.PlaceOrderRequest) { r.Card = nil }, "card"},
		{"short card", func(r *ordersv1.PlaceOrderRequest) { r.Card.Number = "4242 4242" }, "card.number"},
		{"letters in card", func(r *ordersv1.PlaceOrderRequest) { r.Card.Number = "4242 4242 4242 424x" }, "card.number"},
		{"luhn", func(r *ordersv1.PlaceOrderRequest) { r.Card.Number = "4242 4242 4242 4241" }, "card.number"},
		{"month 13", func(r *ordersv1.PlaceOrderRequest) { r.Card.ExpMonth = 13 }, "card.exp_month"},
		{"two-digit year", func(r *ordersv1.PlaceOrderRequest) { r.Card.ExpYear = 31 }, "card.exp_year"},
		{"expired", func(r *ordersv1.PlaceOrderRequest) { r.Card.ExpYear = int32(time.Now().Year() - 1) }, "card.exp_year"},
		{"no cvv", func(r *ordersv1.PlaceOrderRequest) { r.Card.Cvv = "" }, "card.cvv"},
		{"long cvv", func(r *ordersv1.PlaceOrderRequest) { r.Card.Cvv = "12345" }, "card.cvv"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request(fmt.Sprintf("bad-%d", i))
			tt.change(req)
			_, err := e.client.PlaceOrder(context.Background(), req)
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("PlaceOrder: %v, want InvalidArgument", err)
			}
			if msg := status.Convert(err).Message(); !strings.HasPrefix(msg, tt.field+":") && !strings.HasPrefix(msg, tt.field+" ") {
				t.Errorf("message %q does not start with the field %q", msg, tt.field)
			}
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM orders`); n != 0 {
		t.Errorf("%d orders written by bad requests", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM events_outbox`); n != 0 {
		t.Errorf("%d events written by bad requests", n)
	}
}

func TestPlaceOrderStoresThePricedOrder(t *testing.T) {
	e := newEnv(t)
	req := request("k")
	req.UserId = "user-7"
	req.Card.Number = "4242-4242-4242-4242"
	id := e.place(req)
	o := e.get(id)
	// 2 × 12.50 + 1 × 30.00 = 55.00, shipping 7.00 quoted.
	checks := []struct {
		what      string
		got, want any
	}{
		{"status", o.GetStatus(), ordersv1.OrderStatus_ORDER_STATUS_PENDING},
		{"subtotal", amount(o.GetSubtotal()), "USD 55.000000000"},
		{"shipping", amount(o.GetShippingCost()), "USD 7.000000000"},
		{"total", amount(o.GetTotal()), "USD 62.000000000"},
		{"line 0", amount(o.GetItems()[0].GetLineTotal()), "USD 25.000000000"},
		{"unit 0", amount(o.GetItems()[0].GetUnitPrice()), "USD 12.500000000"},
		{"name 1", o.GetItems()[1].GetName(), "Teapot"},
		{"last four", o.GetCardLastFour(), "4242"},
		{"user", o.GetUserId(), "user-7"},
		{"city", o.GetShippingAddress().GetCity(), "London"},
		{"reason", o.GetCancelReason(), ordersv1.CancelReason_CANCEL_REASON_UNSPECIFIED},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if o.GetCreateTime() == nil || o.GetUpdateTime() == nil {
		t.Error("missing times")
	}
	// The card waits in its own table, digits only; the order row has
	// only the last four digits.
	var number string
	if err := e.svc.store.db.QueryRow(e.svc.store.db.Dialect.Rebind(`SELECT number FROM cards WHERE order_id = ?`), id).Scan(&number); err != nil || number != "4242424242424242" {
		t.Errorf("stored card %q, %v", number, err)
	}
	if got := eventTypes(e.outbox(id)); len(got) != 1 || got[0] != eventOrderPlaced {
		t.Errorf("outbox %v, want order.placed", got)
	}
	if !strings.HasPrefix(e.sagaRow(id), "step=reserve") {
		t.Errorf("saga %s, want reserve", e.sagaRow(id))
	}
	if w := e.shipping.lastQuote().GetItems()[1].GetWeightGrams(); w != 900 {
		t.Errorf("quote asked with weight %d for the teapot, want 900", w)
	}
}

func amount(m *typesv1.Money) string {
	return fmt.Sprintf("%s %d.%09d", m.GetCurrencyCode(), m.GetUnits(), m.GetNanos())
}

func TestPlaceOrderDegrades(t *testing.T) {
	tests := []struct {
		name     string
		currency string
		setup    func(*testEnv)
		wantCode codes.Code
		total    string
		shipping string
		quoted   bool
	}{
		{name: "all up", total: "USD 62.000000000", shipping: "USD 7.000000000", quoted: true},
		{name: "in euros", currency: "EUR", total: "EUR 31.000000000", shipping: "EUR 3.500000000", quoted: true},
		{name: "in yen, no minor unit", currency: "JPY", total: "JPY 9300.000000000", shipping: "JPY 1050.000000000", quoted: true},
		{name: "shipping down: flat rate", setup: func(e *testEnv) { e.shipping.set(modeDown) },
			total: "USD 59.990000000", shipping: "USD 4.990000000"},
		{name: "shipping slow: flat rate", setup: func(e *testEnv) { e.shipping.set(modeHang) },
			total: "USD 59.990000000", shipping: "USD 4.990000000"},
		{name: "pricing down: base currency", currency: "EUR", setup: func(e *testEnv) { e.pricing.set(modeDown) },
			total: "USD 62.000000000", shipping: "USD 7.000000000", quoted: true},
		{name: "pricing slow: base currency", currency: "EUR", setup: func(e *testEnv) { e.pricing.set(modeHang) },
			total: "USD 62.000000000", shipping: "USD 7.000000000", quoted: true},
		{name: "shipping and pricing down", currency: "EUR", setup: func(e *testEnv) { e.shipping.set(modeDown); e.pricing.set(modeDown) },
			total: "USD 59.990000000", shipping: "USD 4.990000000"},
		{name: "catalog down", setup: func(e *testEnv) { e.catalog.set(modeDown) }, wantCode: codes.Unavailable},
		{name: "catalog slow", setup: func(e *testEnv) { e.catalog.set(modeHang) }, wantCode: codes.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			req := request("k")
			req.CurrencyCode = tt.currency
			resp, err := e.client.PlaceOrder(context.Background(), req)
			if status.Code(err) != tt.wantCode {
				t.Fatalf("PlaceOrder: %v, want %v", err, tt.wantCode)
			}
			if tt.wantCode != codes.OK {
				if msg := status.Convert(err).Message(); msg != "checkout is unavailable, try again" {
					t.Errorf("message %q", msg)
				}
				if n := e.count(`SELECT COUNT(*) FROM orders`) + e.count(`SELECT COUNT(*) FROM events_outbox`); n != 0 {
					t.Errorf("%d rows written by a failed checkout", n)
				}
				return
			}
			o := e.get(resp.GetOrderId())
			if got := amount(o.GetTotal()); got != tt.total {
				t.Errorf("total %s, want %s", got, tt.total)
			}
			if got := amount(o.GetShippingCost()); got != tt.shipping {
				t.Errorf("shipping %s, want %s", got, tt.shipping)
			}
			if n := e.count(`SELECT COUNT(*) FROM orders WHERE shipping_quoted = ?`, tt.quoted); n != 1 {
				t.Errorf("shipping_quoted is not %v", tt.quoted)
			}
			for _, it := range o.GetItems() {
				if it.GetUnitPrice().GetCurrencyCode() != o.GetTotal().GetCurrencyCode() {
					t.Errorf("item in %s, order in %s", it.GetUnitPrice().GetCurrencyCode(), o.GetTotal().GetCurrencyCode())
				}
			}
		})
	}
}

func TestPlaceOrderRefusedDestination(t *testing.T) {
	e := newEnv(t)
	req := request("k")
	req.ShippingAddress.CountryCode = "XX"
	_, err := e.client.PlaceOrder(context.Background(), req)
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(status.Convert(err).Message(), "shipping_address") {
		t.Fatalf("PlaceOrder: %v, want FailedPrecondition naming shipping_address", err)
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.place(request("key-1"))

	t.Run("same request, same order", func(t *testing.T) {
		resp, err := e.client.PlaceOrder(ctx, request("key-1"))
		if err != nil || resp.GetOrderId() != first {
			t.Fatalf("repeat: %v, %v; want order %s", resp, err, first)
		}
	})
	t.Run("currency defaulted equals base", func(t *testing.T) {
		req := request("key-1")
		req.CurrencyCode = "USD"
		if resp, err := e.client.PlaceOrder(ctx, req); err != nil || resp.GetOrderId() != first {
			t.Fatalf("repeat with USD: %v, %v", resp, err)
		}
	})
	t.Run("repeat after the cart was emptied, same order", func(t *testing.T) {
		req := request("key-1")
		req.Items = nil
		if resp, err := e.client.PlaceOrder(ctx, req); err != nil || resp.GetOrderId() != first {
			t.Fatalf("repeat without items: %v, %v; want order %s", resp, err, first)
		}
		req = request("never-used")
		req.Items = nil
		if _, err := e.client.PlaceOrder(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("new key without items: %v, want InvalidArgument", err)
		}
	})
	t.Run("different request, refused", func(t *testing.T) {
		for name, change := range map[string]func(*ordersv1.PlaceOrderRequest){
			"quantity": func(r *ordersv1.PlaceOrderRequest) { r.Items[0].Quantity = 3 },
			"email":    func(r *ordersv1.PlaceOrderRequest) { r.Email = "bob@example.com" },
			"currency": func(r *ordersv1.PlaceOrderRequest) { r.CurrencyCode = "EUR" },
			"card":     func(r *ordersv1.PlaceOrderRequest) { r.Card.Number = cardDeclined },
			"address":  func(r *ordersv1.PlaceOrderRequest) { r.ShippingAddress.Street = "2 Other St" },
			"items order": func(r *ordersv1.PlaceOrderRequest) {
				r.Items[0], r.Items[1] = r.Items[1], r.Items[0]
			},
		} {
			req := request("key-1")
			change(req)
			_, err := e.client.PlaceOrder(ctx, req)
			if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "idempotency key reused with a different request") {
				t.Errorf("%s changed: %v, want FailedPrecondition", name, err)
			}
		}
	})
	t.Run("repeat after the order ended returns its status", func(t *testing.T) {
		run(t, e.svc)
		e.waitFinal(first)
		resp, err := e.client.PlaceOrder(ctx, request("key-1"))
		if err != nil || resp.GetOrderId() != first || resp.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
			t.Fatalf("repeat: %v, %v; want %s CONFIRMED", resp, err, first)
		}
		if calls, successes, _ := e.payment.stats(first); calls != 1 || successes != 1 {
			t.Errorf("%d Charge calls, %d successes, want 1 and 1", calls, successes)
		}
	})
	if n := e.count(`SELECT COUNT(*) FROM orders`); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
}

func TestConcurrentSameKeyMakesOneOrder(t *testing.T) {
	e := newEnv(t)
	const n = 16
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := e.client.PlaceOrder(context.Background(), request("same"))
			if err != nil {
				t.Errorf("PlaceOrder %d: %v", i, err)
				return
			}
			ids[i] = resp.GetOrderId()
		})
	}
	wg.Wait()
	for i, id := range ids {
		if id != ids[0] {
			t.Errorf("call %d got order %s, call 0 got %s", i, id, ids[0])
		}
	}
	if got := e.count(`SELECT COUNT(*) FROM orders`); got != 1 {
		t.Errorf("%d orders, want 1", got)
	}
	if got := e.count(`SELECT COUNT(*) FROM events_outbox`); got != 1 {
		t.Errorf("%d events, want 1", got)
	}
}

func TestGetOrderErrors(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		id   string
		want codes.Code
	}{
		{"", codes.InvalidArgument},
		{strings.Repeat("x", 129), codes.InvalidArgument},
		{"no-such-order", codes.NotFound},
	} {
		_, err := e.client.GetOrder(context.Background(), &ordersv1.GetOrderRequest{OrderId: tt.id})
		if status.Code(err) != tt.want {
			t.Errorf("GetOrder(%.10q): %v, want %v", tt.id, err, tt.want)
		}
	}
}

func TestListOrders(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var all []string // placed order ids, oldest first
	for i := range 7 {
		req := request(fmt.Sprintf("k%d", i))
		req.ShopperId = fmt.Sprintf("shopper-%d", i%2)
		if i%3 == 0 {
			req.UserId = "user-a"
		}
		all = append(all, e.place(req))
	}
	list := func(req *ordersv1.ListOrdersRequest) []string {
		t.Helper()
		var ids []string
		for page := 0; ; page++ {
			resp, err := e.client.ListOrders(ctx, req)
			if err != nil {
				t.Fatalf("ListOrders: %v", err)
			}
			for _, o := range resp.GetOrders() {
				ids = append(ids, o.GetId())
				if len(o.GetItems()) != 2 {
					t.Errorf("order %s listed with %d items", o.GetId(), len(o.GetItems()))
				}
			}
			if resp.GetNextPageToken() == "" {
				return ids
			}
			if page > 10 {
				t.Fatal("too many pages")
			}
			req.PageToken = resp.GetNextPageToken()
		}
	}
	newestFirst := func(pick func(i int) bool) []string {
		var out []string
		for i := len(all) - 1; i >= 0; i-- {
			if pick(i) {
				out = append(out, all[i])
			}
		}
		return out
	}
	tests := []struct {
		name string
		req  *ordersv1.ListOrdersRequest
		want []string
	}{
		{"all", &ordersv1.ListOrdersRequest{}, newestFirst(func(int) bool { return true })},
		{"all in pages of 2", &ordersv1.ListOrdersRequest{PageSize: 2}, newestFirst(func(int) bool { return true })},
		{"by shopper", &ordersv1.ListOrdersRequest{ShopperId: "shopper-1", PageSize: 1}, newestFirst(func(i int) bool { return i%2 == 1 })},
		{"by user", &ordersv1.ListOrdersRequest{UserId: "user-a"}, newestFirst(func(i int) bool { return i%3 == 0 })},
		{"by user and shopper", &ordersv1.ListOrdersRequest{UserId: "user-a", ShopperId: "shopper-0"}, newestFirst(func(i int) bool { return i%3 == 0 && i%2 == 0 })},
		{"nobody", &ordersv1.ListOrdersRequest{UserId: "user-z"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := list(tt.req)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
	for _, bad := range []*ordersv1.ListOrdersRequest{
		{PageSize: -1},
		{PageToken: "not a token"},
		{PageToken: "djE6eHl6OmFiYw"}, // "v1:xyz:abc"
		{ShopperId: strings.Repeat("s", 129)},
	} {
		if _, err := e.client.ListOrders(ctx, bad); status.Code(err) != codes.InvalidArgument {
			t.Errorf("ListOrders(%v): %v, want InvalidArgument", bad, err)
		}
	}
	resp, err := e.client.ListOrders(ctx, &ordersv1.ListOrdersRequest{PageSize: 1000})
	if err != nil || len(resp.GetOrders()) != len(all) {
		t.Errorf("page size above the cap: %v", err)
	}
}
