package orders

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
)

func TestBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, 5*time.Second
	tests := []struct {
		failures int
		max      time.Duration
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{6, 3200 * time.Millisecond},
		{7, hi},
		{1000, hi},
	}
	for _, tt := range tests {
		for range 50 {
			d := backoff(tt.failures, lo, hi)
			if d < tt.max/2 || d > tt.max {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", tt.failures, d, tt.max/2, tt.max)
			}
		}
	}
}

func TestRequestHash(t *testing.T) {
	base := func() (*ordersv1.PlaceOrderRequest, card) {
		r := request("k")
		c, err := checkPlace(r, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return r, c
	}
	r, c := base()
	want := requestHash(r, c, "USD")
	same := map[string]func(*ordersv1.PlaceOrderRequest, *card){
		"another key":        func(r *ordersv1.PlaceOrderRequest, _ *card) { r.IdempotencyKey = "other" },
		"currency spelt out": func(r *ordersv1.PlaceOrderRequest, _ *card) { r.CurrencyCode = "USD" },
		// Only the last four digits and the expiry of a card are hashed.
		"cvv": func(_ *ordersv1.PlaceOrderRequest, c *card) { c.CVV = "999" },
	}
	for name, change := range same {
		r, c := base()
		change(r, &c)
		if got := requestHash(r, c, "USD"); got != want {
			t.Errorf("%s changed the hash", name)
		}
	}
	different := map[string]func(*ordersv1.PlaceOrderRequest, *card){
		"shopper":  func(r *ordersv1.PlaceOrderRequest, _ *card) { r.ShopperId = "x" },
		"user":     func(r *ordersv1.PlaceOrderRequest, _ *card) { r.UserId = "x" },
		"name":     func(r *ordersv1.PlaceOrderRequest, _ *card) { r.ShippingAddress.Name = "x" },
		"postal":   func(r *ordersv1.PlaceOrderRequest, _ *card) { r.ShippingAddress.PostalCode = "x" },
		"currency": func(r *ordersv1.PlaceOrderRequest, _ *card) { r.CurrencyCode = "EUR" },
		"quantity": func(r *ordersv1.PlaceOrderRequest, _ *card) { r.Items[1].Quantity = 2 },
		"one item less": func(r *ordersv1.PlaceOrderRequest, _ *card) {
			r.Items = r.Items[:1]
		},
		"card":   func(_ *ordersv1.PlaceOrderRequest, c *card) { c.Number = "4000000000000002" },
		"expiry": func(_ *ordersv1.PlaceOrderRequest, c *card) { c.ExpMonth = 11 },
		// Length prefixes keep field boundaries: "ab"+"c" is not "a"+"bc".
		"boundary": func(r *ordersv1.PlaceOrderRequest, _ *card) {
			r.ShippingAddress.Name += r.ShippingAddress.Street[:1]
			r.ShippingAddress.Street = r.ShippingAddress.Street[1:]
		},
	}
	for name, change := range different {
		r, c := base()
		change(r, &c)
		if got := requestHash(r, c, "USD"); got == want {
			t.Errorf("%s did not change the hash", name)
		}
	}
}

func TestConfig(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "orders.db")
	good, err := Config{DSN: dsn}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if good.flatRate.GetUnits() != 4 || good.flatRate.GetNanos() != 990_000_000 || good.flatRate.GetCurrencyCode() != "USD" || good.Lease != DefaultLease {
		t.Errorf("defaults: %+v", good)
	}
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no dsn", Config{}, "DSN"},
		{"bad currency", Config{DSN: dsn, BaseCurrency: "usd"}, "base currency"},
		{"bad flat rate", Config{DSN: dsn, FlatShipping: "4,99"}, "flat shipping"},
		{"negative flat rate", Config{DSN: dsn, FlatShipping: "-1"}, "flat shipping"},
		{"negative timeout", Config{DSN: dsn, CallTimeout: -time.Second}, "call timeout"},
		{"short lease", Config{DSN: dsn, CallTimeout: time.Second, Lease: time.Second}, "lease"},
		{"backoffs swapped", Config{DSN: dsn, MinBackoff: time.Second, MaxBackoff: time.Millisecond}, "backoff"},
		{"negative workers", Config{DSN: dsn, Workers: -1}, "workers"},
	} {
		if _, err := tt.cfg.withDefaults(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error naming %q", tt.name, err, tt.want)
		}
	}
}

func TestNewNeedsEveryDependency(t *testing.T) {
	e := newEnv(t)
	deps := e.deps
	deps.Payment = nil
	if svc, err := New(context.Background(), e.cfg, deps, nil); err == nil {
		svc.Close()
		t.Fatal("New without payment succeeded")
	}
	if err := e.svc.Ready(context.Background()); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	e.svc.Close()
	if err := e.svc.Ready(context.Background()); err == nil {
		t.Error("Ready after Close succeeded")
	}
}
