package storefront

import (
	"net/http"
	"strings"
	"testing"
	"time"

	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// errDown is what a service that is down answers.
func errDown() error {
	return status.Error(codes.Unavailable, "connection refused")
}

// outage breaks a fake one way or another.
type outage struct {
	name  string
	apply func(*switches)
}

// outages are the ways a dependency goes down: refusing, or hanging until
// the storefront's deadline.
func outages() []outage {
	return []outage{
		{"unavailable", func(s *switches) { s.setFail(errDown()) }},
		{"internal", func(s *switches) { s.setFail(status.Error(codes.Internal, "boom")) }},
		{"hangs past the deadline", func(s *switches) { s.setHang(true) }},
	}
}

const conversionNoticeText = "Prices are shown in USD while currency conversion is unavailable."

// A shopper in the base currency needs no conversion, but still learns why
// the currency switch does not work while pricing is down.
func TestPricingDownNoticeInBaseCurrency(t *testing.T) {
	for _, warm := range []bool{false, true} {
		h := newHarness(t)
		if warm {
			wantStatus(t, h.get(t, "/"), http.StatusOK)
			h.clock.advance(2 * currenciesFreshFor)
		}
		h.pricing.switches.setFail(errDown())
		rec := h.get(t, "/")
		wantStatus(t, rec, http.StatusOK)
		wantBody(t, rec.Body.String(), "$12.99", conversionNoticeText)
		if n := h.pricing.count("Convert"); n != 0 {
			t.Errorf("Convert called %d times for base-currency prices", n)
		}
	}
	h := newHarness(t)
	rec := h.get(t, "/")
	wantStatus(t, rec, http.StatusOK)
	wantNotInBody(t, rec.Body.String(), conversionNoticeText)
}

func TestPricingDownShowsBaseCurrencyWithNotice(t *testing.T) {
	for _, o := range outages() {
		for _, warm := range []bool{false, true} {
			name := o.name + "/never reached"
			if warm {
				name = o.name + "/after a good answer"
			}
			t.Run(name, func(t *testing.T) {
				h := newHarness(t)
				if warm {
					wantStatus(t, h.get(t, "/", currencyIs("EUR")), http.StatusOK)
					h.clock.advance(2 * currenciesFreshFor) // the currency list must be asked again
				}
				o.apply(&h.pricing.switches)

				// The base currency's symbol is known even before pricing
				// has ever answered.
				cup, lamp := "$12.99", "$45.50"
				start := time.Now()
				rec := h.get(t, "/", currencyIs("EUR"))
				if took := time.Since(start); took > 2*time.Second {
					t.Errorf("page took %v with pricing down; deadlines should cut it short", took)
				}
				wantStatus(t, rec, http.StatusOK)
				body := rec.Body.String()
				wantBody(t, body, cup, lamp, `class="notice">`+conversionNoticeText)
				wantNotInBody(t, body, "€11.69", "€40.95")
				if warm {
					// The shopper's choice stays selected; only the prices fall back.
					wantBody(t, body, `<option value="EUR" selected>`)
				}

				rec = h.get(t, "/products/espresso-cup", currencyIs("EUR"))
				wantStatus(t, rec, http.StatusOK)
				wantBody(t, rec.Body.String(), cup, conversionNoticeText)

				rec = h.get(t, "/api/v1/products/espresso-cup?currency=EUR")
				wantStatus(t, rec, http.StatusOK)
				var resp storefrontv1.GetProductResponse
				if err := protojson.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
					t.Fatal(err)
				}
				if resp.GetCurrency() != "USD" || resp.GetProduct().GetPrice().GetCurrencyCode() != "USD" ||
					resp.GetProduct().GetPriceDisplay() != cup || resp.GetNotice() != conversionNoticeText {
					t.Errorf("API answer = %v, want base-currency price with the notice", &resp)
				}

				rec = h.get(t, "/api/v1/products?currency=EUR")
				wantStatus(t, rec, http.StatusOK)
				var list storefrontv1.ListProductsResponse
				if err := protojson.Unmarshal(rec.Body.Bytes(), &list); err != nil {
					t.Fatal(err)
				}
				if list.GetCurrency() != "USD" || list.GetNotice() != conversionNoticeText || len(list.GetProducts()) != 3 {
					t.Errorf("API list = currency %q, notice %q, %d products", list.GetCurrency(), list.GetNotice(), len(list.GetProducts()))
				}
				if logs := h.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "pricing unavailable") ||
					!strings.Contains(logs, "err=") {
					t.Errorf("degradation not logged at WARN:\n%s", logs)
				}
			})
		}
	}
}

func TestCatalogDownServesLastGoodCopy(t *testing.T) {
	for _, o := range outages() {
		t.Run(o.name, func(t *testing.T) {
			h := newHarness(t)
			h.recommendations.suggestions = nil // desk-lamp's page must stay unseen
			paths := []string{"/", "/products/espresso-cup", "/search?q=lamp", "/category/home",
				"/api/v1/products", "/api/v1/products/espresso-cup", "/images/products/espresso-cup.svg"}
			for _, p := range paths {
				wantStatus(t, h.get(t, p), http.StatusOK)
			}
			o.apply(&h.catalog.switches)

			// Within CatalogFreshFor, the copy is served without asking.
			calls := h.catalog.count("ListProducts")
			rec := h.get(t, "/")
			wantStatus(t, rec, http.StatusOK)
			wantNotInBody(t, rec.Body.String(), staleNotice)
			if h.catalog.count("ListProducts") != calls {
				t.Error("a fresh copy was fetched again")
			}

			// Past it, catalog is asked, fails, and the copy is served stale.
			h.clock.advance(testFreshFor + time.Second)
			want := map[string]string{
				"/":                      "Espresso Cup",
				"/products/espresso-cup": "<h1>Espresso Cup</h1>",
				"/search?q=lamp":         "Desk Lamp",
				"/category/home":         "Desk Lamp",
			}
			for path, text := range want {
				rec := h.get(t, path)
				wantStatus(t, rec, http.StatusOK)
				wantBody(t, rec.Body.String(), text, `class="notice">`+staleNotice)
			}
			rec = h.get(t, "/api/v1/products/espresso-cup")
			wantStatus(t, rec, http.StatusOK)
			var resp storefrontv1.GetProductResponse
			if err := protojson.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			if resp.GetProduct().GetName() != "Espresso Cup" || resp.GetNotice() != staleNotice {
				t.Errorf("API answer = %v, want the stale product with the notice", &resp)
			}
			wantStatus(t, h.get(t, "/images/products/espresso-cup.svg"), http.StatusOK)
			if logs := h.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "serving last good copy") {
				t.Errorf("stale serving not logged at WARN:\n%s", logs)
			}

			// A page never seen has no copy.
			wantStatus(t, h.get(t, "/products/desk-lamp"), http.StatusServiceUnavailable)

			// Past StaleFor, the copy is gone.
			h.clock.advance(testStaleFor)
			wantStatus(t, h.get(t, "/"), http.StatusServiceUnavailable)
		})
	}
}

func TestCatalogDownWithNothingCached(t *testing.T) {
	for _, o := range outages() {
		t.Run(o.name, func(t *testing.T) {
			h := newHarness(t)
			o.apply(&h.catalog.switches)
			for _, path := range []string{"/", "/products/espresso-cup", "/search?q=cup", "/category/kitchen"} {
				rec := h.get(t, path)
				wantStatus(t, rec, http.StatusServiceUnavailable)
				body := rec.Body.String()
				wantBody(t, body, "We&#39;ll be right back", "Our catalog is taking a short break", `href="/"`)
				wantNotInBody(t, body, "rpc error", "goroutine", "Unavailable", "connection refused", "boom", "deadline")
				if rec.Header().Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
			}
			for _, path := range []string{"/api/v1/products", "/api/v1/products/espresso-cup", "/api/v1/products?q=cup"} {
				wantAPIError(t, h.get(t, path), http.StatusServiceUnavailable, "unavailable")
			}
			if logs := h.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "catalog unavailable") {
				t.Errorf("outage not logged at WARN:\n%s", logs)
			}
		})
	}
}

func TestNotFoundIsNotHiddenByStaleCopy(t *testing.T) {
	h := newHarness(t)
	wantStatus(t, h.get(t, "/products/desk-lamp"), http.StatusOK)
	h.catalog.products = h.catalog.products[:1] // desk-lamp is removed
	h.clock.advance(testFreshFor + time.Second)
	wantStatus(t, h.get(t, "/products/desk-lamp"), http.StatusNotFound)
}

func TestCallsCarryDeadlines(t *testing.T) {
	h := newHarness(t)
	wantStatus(t, h.get(t, "/", currencyIs("EUR")), http.StatusOK)
	tests := []struct {
		s      *switches
		method string
		max    time.Duration
	}{
		{&h.catalog.switches, "ListProducts", testCatalogTimeout},
		{&h.catalog.switches, "ListCategories", testCatalogTimeout},
		{&h.pricing.switches, "ListCurrencies", testPricingTimeout},
		{&h.pricing.switches, "Convert", testPricingTimeout},
	}
	for _, tt := range tests {
		if left := tt.s.timeLeft(tt.method); left <= 0 || left > tt.max {
			t.Errorf("%s had %v left, want a deadline within %v", tt.method, left, tt.max)
		}
	}
}
