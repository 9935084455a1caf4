package storefront

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// jsonKeys returns the sorted keys of a JSON object.
func jsonKeys(t *testing.T, obj map[string]any) []string {
	t.Helper()
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// decodeObject decodes a JSON object body.
func decodeObject(t *testing.T, body string) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal([]byte(body), &obj); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return obj
}

// wantAPIError checks an error answer's status and body.
func wantAPIError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	wantStatus(t, rec, status)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	obj := decodeObject(t, rec.Body.String())
	if keys := jsonKeys(t, obj); !slices.Equal(keys, []string{"error"}) {
		t.Fatalf("error body keys = %v, want [error]", keys)
	}
	e, ok := obj["error"].(map[string]any)
	if !ok {
		t.Fatalf("error is not an object: %s", rec.Body.String())
	}
	if keys := jsonKeys(t, e); !slices.Equal(keys, []string{"code", "message"}) {
		t.Errorf("error keys = %v, want [code message]", keys)
	}
	if e["code"] != code {
		t.Errorf("error code = %v, want %q", e["code"], code)
	}
	if msg, _ := e["message"].(string); msg == "" || strings.Contains(msg, "rpc error") {
		t.Errorf("error message = %q, want words for people, no internals", msg)
	}
}

func TestAPIListProductsShape(t *testing.T) {
	h := newHarness(t)
	rec := h.get(t, "/api/v1/products?currency=EUR")
	wantStatus(t, rec, http.StatusOK)
	obj := decodeObject(t, rec.Body.String())
	if keys := jsonKeys(t, obj); !slices.Equal(keys, []string{"currency", "next_page_token", "notice", "products"}) {
		t.Errorf("keys = %v", keys)
	}
	products := obj["products"].([]any)
	first := products[0].(map[string]any)
	wantKeys := []string{"category", "description", "id", "image_url", "name", "price", "price_display", "tags", "weight_grams"}
	if keys := jsonKeys(t, first); !slices.Equal(keys, wantKeys) {
		t.Errorf("product keys = %v, want %v", keys, wantKeys)
	}
	price := first["price"].(map[string]any)
	if price["currency_code"] != "EUR" || price["units"] != "11" || price["nanos"] != float64(690_000_000) {
		t.Errorf("price = %v, want EUR 11.69 with units as a string", price)
	}
	if first["price_display"] != "€11.69" || first["category"] != "kitchen" || first["image_url"] != "/images/products/espresso-cup.svg" {
		t.Errorf("product = %v", first)
	}
	if obj["currency"] != "EUR" || obj["notice"] != "" || obj["next_page_token"] != "" {
		t.Errorf("currency/notice/next = %v/%v/%v", obj["currency"], obj["notice"], obj["next_page_token"])
	}
	// Every product has tags as an array, empty or not.
	if tags, ok := products[2].(map[string]any)["tags"].([]any); !ok || len(tags) != 0 {
		t.Errorf("tags of a product without tags = %v, want []", products[2].(map[string]any)["tags"])
	}
}

func TestAPIListProducts(t *testing.T) {
	tests := []struct {
		name         string
		query        string
		cookie       string
		wantIDs      []string
		wantCurrency string
		wantNext     string
	}{
		{name: "all in base", query: "", wantIDs: []string{"espresso-cup", "desk-lamp", "travel-backpack"}, wantCurrency: "USD"},
		{name: "lower-case currency", query: "currency=jpy", wantIDs: []string{"espresso-cup", "desk-lamp", "travel-backpack"}, wantCurrency: "JPY"},
		{name: "session currency", cookie: "EUR", wantIDs: []string{"espresso-cup", "desk-lamp", "travel-backpack"}, wantCurrency: "EUR"},
		{name: "parameter beats session", query: "currency=USD", cookie: "EUR", wantIDs: []string{"espresso-cup", "desk-lamp", "travel-backpack"}, wantCurrency: "USD"},
		{name: "search", query: "q=lamp", wantIDs: []string{"desk-lamp"}, wantCurrency: "USD"},
		{name: "category", query: "category=travel", wantIDs: []string{"travel-backpack"}, wantCurrency: "USD"},
		{name: "page size", query: "page_size=2", wantIDs: []string{"espresso-cup", "desk-lamp"}, wantCurrency: "USD", wantNext: "2"},
		{name: "next page", query: "page_size=2&page_token=2", wantIDs: []string{"travel-backpack"}, wantCurrency: "USD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			req := httptest.NewRequest(http.MethodGet, "/api/v1/products?"+tt.query, nil)
			if tt.cookie != "" {
				req.AddCookie(currencyIs(tt.cookie))
			}
			rec := h.do(t, req)
			wantStatus(t, rec, http.StatusOK)
			var resp storefrontv1.ListProductsResponse
			if err := protojson.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("body is not a ListProductsResponse: %v", err)
			}
			var ids []string
			for _, p := range resp.GetProducts() {
				ids = append(ids, p.GetId())
				if p.GetPrice().GetCurrencyCode() != tt.wantCurrency {
					t.Errorf("product %s priced in %s, want %s", p.GetId(), p.GetPrice().GetCurrencyCode(), tt.wantCurrency)
				}
			}
			if !slices.Equal(ids, tt.wantIDs) {
				t.Errorf("ids = %v, want %v", ids, tt.wantIDs)
			}
			if resp.GetCurrency() != tt.wantCurrency || resp.GetNextPageToken() != tt.wantNext {
				t.Errorf("currency, next = %q, %q; want %q, %q", resp.GetCurrency(), resp.GetNextPageToken(), tt.wantCurrency, tt.wantNext)
			}
		})
	}
}

func TestAPIGetProduct(t *testing.T) {
	h := newHarness(t)
	rec := h.get(t, "/api/v1/products/espresso-cup?currency=JPY")
	wantStatus(t, rec, http.StatusOK)
	obj := decodeObject(t, rec.Body.String())
	if keys := jsonKeys(t, obj); !slices.Equal(keys, []string{"currency", "notice", "product"}) {
		t.Errorf("keys = %v", keys)
	}
	var resp storefrontv1.GetProductResponse
	if err := protojson.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("body is not a GetProductResponse: %v", err)
	}
	p := resp.GetProduct()
	if p.GetId() != "espresso-cup" || p.GetName() != "Espresso Cup" || p.GetPriceDisplay() != "¥1,948" ||
		p.GetPrice().GetUnits() != 1948 || p.GetWeightGrams() != 180 || !slices.Equal(p.GetTags(), []string{"coffee", "ceramic"}) {
		t.Errorf("product = %v", p)
	}
	if resp.GetCurrency() != "JPY" || resp.GetNotice() != "" {
		t.Errorf("currency, notice = %q, %q", resp.GetCurrency(), resp.GetNotice())
	}
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantCode   string
	}{
		{"unknown product", http.MethodGet, "/api/v1/products/no-such-thing", http.StatusNotFound, "not_found"},
		{"malformed product id", http.MethodGet, "/api/v1/products/Bad!", http.StatusNotFound, "not_found"},
		{"currency not sold", http.MethodGet, "/api/v1/products?currency=GBP", http.StatusBadRequest, "invalid_argument"},
		{"malformed currency", http.MethodGet, "/api/v1/products/espresso-cup?currency=EURO", http.StatusBadRequest, "invalid_argument"},
		{"query too long", http.MethodGet, "/api/v1/products?q=" + strings.Repeat("a", 201), http.StatusBadRequest, "invalid_argument"},
		{"negative page size", http.MethodGet, "/api/v1/products?page_size=-1", http.StatusBadRequest, "invalid_argument"},
		{"page size not a number", http.MethodGet, "/api/v1/products?page_size=ten", http.StatusBadRequest, "invalid_argument"},
		{"bad page token", http.MethodGet, "/api/v1/products?page_token=zzz", http.StatusBadRequest, "invalid_argument"},
		{"bad category", http.MethodGet, "/api/v1/products?category=a/b", http.StatusBadRequest, "invalid_argument"},
		{"method not allowed", http.MethodPost, "/api/v1/products", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"unknown route", http.MethodGet, "/api/v1/nothing", http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			rec := h.do(t, httptest.NewRequest(tt.method, tt.path, nil))
			wantAPIError(t, rec, tt.wantStatus, tt.wantCode)
		})
	}
}
