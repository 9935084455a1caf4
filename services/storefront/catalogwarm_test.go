package storefront

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestWarmCopyServesEveryProductWhileCatalogIsDown: once the storefront
// has warmed its copy, a catalog outage leaves every product page and the
// search working, also for products no shopper had visited.
func TestWarmCopyServesEveryProductWhileCatalogIsDown(t *testing.T) {
	for _, o := range outages() {
		t.Run(o.name, func(t *testing.T) {
			h := newHarness(t)
			if err := h.sf.catalog.warm(context.Background()); err != nil {
				t.Fatal(err)
			}
			o.apply(&h.catalog.switches)
			for _, path := range []string{"/products/desk-lamp", "/products/travel-backpack", "/api/v1/products/espresso-cup"} {
				wantStatus(t, h.get(t, path), http.StatusOK)
			}
			rec := h.get(t, "/search?q=COFFEE")
			wantStatus(t, rec, http.StatusOK)
			wantBody(t, rec.Body.String(), "Espresso Cup")
			wantNotInBody(t, rec.Body.String(), "Desk Lamp")
			rec = h.get(t, "/api/v1/products?q=warm+light")
			wantStatus(t, rec, http.StatusOK)
			wantBody(t, rec.Body.String(), "desk-lamp")
			wantNotInBody(t, rec.Body.String(), "espresso-cup")
		})
	}
}

func TestOfflineSearch(t *testing.T) {
	h := newHarness(t)
	c := h.sf.catalog
	if _, ok := c.offlineSearch("cup", "", 10); ok {
		t.Fatal("offline search answered before any warm copy")
	}
	if err := c.warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query, category string
		size            int32
		want            []string
	}{
		{"cup", "", 10, []string{"espresso-cup"}},
		{"a", "", 10, []string{"espresso-cup", "desk-lamp", "travel-backpack"}},
		{"a", "", 2, []string{"espresso-cup", "desk-lamp"}},
		{"a", "travel", 10, []string{"travel-backpack"}},
		{"ceramic dishwasher", "", 10, []string{"espresso-cup"}},
		{"ceramic lamp", "", 10, nil},
	}
	for _, tt := range tests {
		resp, ok := c.offlineSearch(tt.query, tt.category, tt.size)
		var got []string
		for _, p := range resp.GetProducts() {
			got = append(got, p.GetId())
		}
		if !ok || len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) || (len(got) > 1 && got[len(got)-1] != tt.want[len(tt.want)-1]) {
			t.Errorf("offlineSearch(%q, %q, %d) = %v, %v; want %v", tt.query, tt.category, tt.size, got, ok, tt.want)
		}
	}
}

// TestBackgroundWarmsAndStops: Background warms the copy at once, keeps
// the last copy through a failed refresh, and returns when its context
// ends.
func TestBackgroundWarmsAndStops(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.sf.Background(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for h.sf.catalog.everything.Load() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no warm copy 5s after Background started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := h.catalog.count("ListProducts"); n < 1 {
		t.Errorf("ListProducts called %d times, want at least once", n)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Background did not return after its context ended")
	}
}
