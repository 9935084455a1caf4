package storefront

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
)

func TestHomeListsProductsWithConvertedPrices(t *testing.T) {
	tests := []struct {
		name        string
		cookie      string
		want        []string
		unwanted    []string
		wantConvert int
	}{
		{name: "base currency needs no conversion", want: []string{"$12.99", "$45.50", "$89.00"}, wantConvert: 0},
		{name: "euro", cookie: "EUR", want: []string{"€11.69", "€40.95", "€80.10"}, unwanted: []string{"$12.99"}, wantConvert: 1},
		{name: "yen has no minor unit", cookie: "JPY", want: []string{"¥1,948", "¥6,825", "¥13,350"}, wantConvert: 1},
		{name: "currency not sold falls back to base silently", cookie: "GBP", want: []string{"$12.99"}, unwanted: []string{"unavailable"}, wantConvert: 0},
		{name: "malformed cookie falls back to base", cookie: "<b>", want: []string{"$12.99"}, wantConvert: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			var cookies []*http.Cookie
			if tt.cookie != "" {
				cookies = append(cookies, currencyIs(tt.cookie))
			}
			rec := h.get(t, "/", cookies...)
			wantStatus(t, rec, http.StatusOK)
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			body := rec.Body.String()
			wantBody(t, body, "Espresso Cup", "Desk Lamp", "Travel Backpack", `href="/products/espresso-cup"`,
				`src="/images/products/espresso-cup.svg"`, `href="/category/kitchen"`, "Good things for every day")
			wantBody(t, body, tt.want...)
			wantNotInBody(t, body, tt.unwanted...)
			if got := h.pricing.count("Convert"); got != tt.wantConvert {
				t.Errorf("Convert called %d times, want %d (one batch per page)", got, tt.wantConvert)
			}
		})
	}
}

func TestCategoryListing(t *testing.T) {
	for _, path := range []string{"/category/kitchen", "/?category=kitchen"} {
		t.Run(path, func(t *testing.T) {
			h := newHarness(t)
			rec := h.get(t, path)
			wantStatus(t, rec, http.StatusOK)
			body := rec.Body.String()
			wantBody(t, body, "<h1>Kitchen</h1>", "Cups, pots and pans.", "Espresso Cup", `href="/category/kitchen" aria-current="page"`)
			wantNotInBody(t, body, "Desk Lamp", "Good things for every day")
		})
	}
	t.Run("unknown category is 404", func(t *testing.T) {
		h := newHarness(t)
		for _, path := range []string{"/category/garden", "/category/Not%20an%20id"} {
			rec := h.get(t, path)
			wantStatus(t, rec, http.StatusNotFound)
			wantBody(t, rec.Body.String(), "We couldn&#39;t find that category.")
		}
	})
}

func TestListingPages(t *testing.T) {
	h := newHarness(t)
	for i := range 30 {
		h.catalog.products = append(h.catalog.products, &catalogv1.Product{
			Id: "mug-" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Name: "Mug", CategoryId: "kitchen", Price: usd(5, 0),
		})
	}
	rec := h.get(t, "/")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), `href="/?page=24"`)
	rec = h.get(t, "/?page=24")
	wantStatus(t, rec, http.StatusOK)
	wantNotInBody(t, rec.Body.String(), "Good things for every day", `href="/?page=`)
	rec = h.get(t, "/?page=bogus")
	wantStatus(t, rec, http.StatusBadRequest)
}

func TestProductPage(t *testing.T) {
	h := newHarness(t)
	rec := h.get(t, "/products/espresso-cup", currencyIs("EUR"))
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(),
		"<title>Espresso Cup · Bazaar</title>", "<h1>Espresso Cup</h1>", "€11.69",
		"<p>A small cup.</p>", "<p>Dishwasher safe.</p>", "180 g",
		`href="/search?q=coffee"`, `href="/category/kitchen">Kitchen</a>`,
		`src="/images/products/espresso-cup.svg"`, `action="/cart/items"`, `name="product_id" value="espresso-cup"`,
		`type="submit">Add to cart</button>`, `<p class="stock in">In stock</p>`,
		"Often bought together", `href="/products/desk-lamp"`, "€40.95", `href="/products/travel-backpack"`)
	wantNotInBody(t, rec.Body.String(), "no-such-product")
	if n := h.pricing.count("Convert"); n != 1 {
		t.Errorf("Convert called %d times, want 1: the product and its recommendations in one batch", n)
	}

	rec = h.get(t, "/products/desk-lamp")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), "$45.50", "1.25 kg", `<p class="stock low">Only 3 left</p>`)
	wantNotInBody(t, rec.Body.String(), "Often bought together")

	rec = h.get(t, "/products/travel-backpack")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), `<p class="stock out">Sold out</p>`, `type="submit" disabled>Sold out</button>`)
}

func TestAvailabilityWords(t *testing.T) {
	tests := []struct {
		available int64
		want      string
	}{{0, "Sold out"}, {-2, "Sold out"}, {1, "Only 1 left"}, {5, "Only 5 left"}, {6, "In stock"}, {1000, "In stock"}}
	for _, tt := range tests {
		if got := describeStock(tt.available).Text; got != tt.want {
			t.Errorf("describeStock(%d) = %q, want %q", tt.available, got, tt.want)
		}
	}
}

func TestNotFoundPages(t *testing.T) {
	tests := []struct {
		path        string
		want        string
		wantCatalog bool // whether catalog is asked at all
	}{
		{path: "/products/no-such-thing", want: "We couldn&#39;t find that product.", wantCatalog: true},
		{path: "/products/Not_Valid!", want: "We couldn&#39;t find that product."},
		{path: "/no/such/page", want: "We couldn&#39;t find that page."},
		{path: "/static/", want: "We couldn&#39;t find that page."},
		{path: "/images/products/espresso-cup.png", want: "no such image"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			h := newHarness(t)
			rec := h.get(t, tt.path)
			wantStatus(t, rec, http.StatusNotFound)
			wantBody(t, rec.Body.String(), tt.want)
			if asked := h.catalog.count("GetProduct") > 0; asked != tt.wantCatalog {
				t.Errorf("catalog GetProduct asked = %v, want %v", asked, tt.wantCatalog)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	tests := []struct {
		name       string
		query      url.Values
		wantStatus int
		want       []string
		unwanted   []string
	}{
		{name: "one word", query: url.Values{"q": {"lamp"}}, wantStatus: http.StatusOK,
			want: []string{"Results for “lamp”", "Desk Lamp", "1 product", `value="lamp"`}, unwanted: []string{"Espresso Cup"}},
		{name: "tag", query: url.Values{"q": {"coffee"}}, wantStatus: http.StatusOK, want: []string{"Espresso Cup"}},
		{name: "within a category", query: url.Values{"q": {"a"}, "category": {"travel"}}, wantStatus: http.StatusOK,
			want: []string{"Travel Backpack", `<option value="travel" selected>`}, unwanted: []string{"Desk Lamp"}},
		{name: "empty lists everything", query: url.Values{}, wantStatus: http.StatusOK, want: []string{"All products", "3 products"}},
		{name: "nothing matches", query: url.Values{"q": {"unicorn"}}, wantStatus: http.StatusOK, want: []string{"No products match"}},
		{name: "query too long", query: url.Values{"q": {strings.Repeat("x", 201)}}, wantStatus: http.StatusBadRequest,
			want: []string{"Your search is too long"}},
		{name: "bad category", query: url.Values{"category": {"../x"}}, wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			rec := h.get(t, "/search?"+tt.query.Encode())
			wantStatus(t, rec, tt.wantStatus)
			wantBody(t, rec.Body.String(), tt.want...)
			wantNotInBody(t, rec.Body.String(), tt.unwanted...)
		})
	}
}

func TestTemplatesEscapeProductText(t *testing.T) {
	const evil = `<script>alert("pwned")</script>`
	h := newHarness(t)
	h.catalog.products = append(h.catalog.products, &catalogv1.Product{
		Id: "evil-mug", Name: evil + " Mug", Description: evil, CategoryId: "kitchen",
		Price: usd(1, 0), Tags: []string{`"><script>alert(1)</script>`},
	})
	h.catalog.categories = append(h.catalog.categories, &catalogv1.Category{Id: "evil", Name: evil})
	for _, path := range []string{"/", "/products/evil-mug", "/search?q=mug"} {
		t.Run(path, func(t *testing.T) {
			rec := h.get(t, path)
			wantStatus(t, rec, http.StatusOK)
			body := rec.Body.String()
			if strings.Contains(body, "<script>") {
				t.Errorf("body carries an unescaped <script>:\n%s", body)
			}
			if !strings.Contains(body, "&lt;script&gt;") {
				t.Errorf("body lacks the escaped product name:\n%s", body)
			}
		})
	}
}

func TestPagesSetSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	rec := h.get(t, "/")
	wantStatus(t, rec, http.StatusOK)
	for header, want := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": pageCSP,
		"Cache-Control":           "no-store",
		"X-Frame-Options":         "DENY",
	} {
		if got := rec.Header().Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if hsts := rec.Header().Get("Strict-Transport-Security"); hsts != "" {
		t.Errorf("HSTS %q over plain HTTP, where browsers ignore it", hsts)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.TLS = &tls.ConnectionState{}
	if hsts := h.do(t, req).Header().Get("Strict-Transport-Security"); hsts != "max-age=31536000" {
		t.Errorf("HSTS over TLS = %q, want max-age=31536000", hsts)
	}
}

func TestStaticStyleSheet(t *testing.T) {
	h := newHarness(t)
	rec := h.get(t, "/static/style.css")
	wantStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q, want text/css", ct)
	}
	wantBody(t, rec.Body.String(), ".grid {")
}

func TestHealthAndReadiness(t *testing.T) {
	h := newHarness(t)
	h.catalog.setFail(errDown())
	h.pricing.setFail(errDown())
	for _, path := range []string{"/healthz", "/readyz"} {
		rec := h.get(t, path)
		wantStatus(t, rec, http.StatusOK)
	}
	if err := h.sf.Ready(t.Context()); err != nil {
		t.Errorf("Ready with dependencies down = %v, want nil (the storefront degrades)", err)
	}
	var zero *Storefront
	if err := zero.Ready(t.Context()); err == nil {
		t.Error("Ready of a Storefront not built by New = nil, want an error")
	}
}

func TestHeadRequest(t *testing.T) {
	h := newHarness(t)
	rec := h.do(t, httptest.NewRequest(http.MethodHead, "/products/espresso-cup", nil))
	wantStatus(t, rec, http.StatusOK)
	if rec.Body.Len() != 0 {
		t.Errorf("HEAD answered a body of %d bytes", rec.Body.Len())
	}
}
