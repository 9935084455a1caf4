package storefront

import (
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A product page reuses its stock line, recommendations and converted
// prices while each is fresh, asks again once it is not, and never keeps
// a failure.
func TestProductPageExtrasAreReusedWhileFresh(t *testing.T) {
	h := newHarness(t)
	page := func(want ...string) {
		t.Helper()
		rec := h.get(t, "/products/espresso-cup", currencyIs("EUR"))
		wantStatus(t, rec, http.StatusOK)
		wantBody(t, rec.Body.String(), want...)
	}
	calls := func(wantStock, wantRecs, wantConvert int) {
		t.Helper()
		got := []int{h.inventory.count("BatchGetAvailability"), h.recommendations.count("ListRecommendations"), h.pricing.count("Convert")}
		if want := []int{wantStock, wantRecs, wantConvert}; got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("calls (availability, recommendations, convert) = %v, want %v", got, want)
		}
	}

	page(`<p class="stock in">In stock</p>`, `href="/products/desk-lamp"`, "€11.69")
	calls(1, 1, 1)
	page(`<p class="stock in">In stock</p>`, `href="/products/desk-lamp"`, "€11.69")
	calls(1, 1, 1)

	h.inventory.mu.Lock()
	h.inventory.available["espresso-cup"] = 2
	h.inventory.mu.Unlock()
	page(`<p class="stock in">In stock</p>`) // still fresh
	calls(1, 1, 1)

	h.clock.advance(DefaultAvailabilityFreshFor)
	page(`<p class="stock low">Only 2 left</p>`, `href="/products/desk-lamp"`, "€11.69")
	calls(2, 1, 1)

	h.clock.advance(DefaultConversionFreshFor)
	page("€11.69")
	calls(3, 1, 2)

	h.clock.advance(DefaultRecommendationsFreshFor)
	page(`href="/products/desk-lamp"`)
	calls(4, 2, 3)

	// A failure is not kept: the next view asks again and shows the line.
	h.clock.advance(DefaultAvailabilityFreshFor)
	h.inventory.setFail(status.Error(codes.Unavailable, "inventory down"))
	rec := h.get(t, "/products/espresso-cup", currencyIs("EUR"))
	wantStatus(t, rec, http.StatusOK)
	wantNotInBody(t, rec.Body.String(), `class="stock`)
	h.inventory.setFail(nil)
	page(`<p class="stock low">Only 2 left</p>`)
	if n := h.inventory.count("BatchGetAvailability"); n < 6 {
		t.Fatalf("availability asked %d times, want at least 6: a failure must not be cached", n)
	}
}

func TestExtrasFreshnessMustNotBeNegative(t *testing.T) {
	for _, cfg := range []Config{
		{AvailabilityFreshFor: -1, SessionKey: testSessionKey()},
		{RecommendationsFreshFor: -1, SessionKey: testSessionKey()},
		{ConversionFreshFor: -1, SessionKey: testSessionKey()},
	} {
		if _, err := cfg.withDefaults(); err == nil {
			t.Errorf("withDefaults(%+v) accepted a negative freshness", cfg)
		}
	}
}
