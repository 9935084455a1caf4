package storefront

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The storefront's own hot paths: a page served to a returning shopper
// (session cookie, chosen currency), with every dependency answered by
// in-memory fakes and the storefront's caches warm, so the figures are
// the storefront's work (routing, session, rate limit, shedding gate,
// templates) and not its dependencies'. `make bench` compares them run
// to run.

func benchmarkPage(b *testing.B, path string) {
	h := newHarness(b)
	first := httptest.NewRecorder()
	h.handler.ServeHTTP(first, httptest.NewRequest(http.MethodGet, path, nil))
	if first.Code != http.StatusOK {
		b.Fatalf("GET %s: status %d", path, first.Code)
	}
	cookies := append(first.Result().Cookies(), currencyIs("EUR"))
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: status %d", path, rec.Code)
		}
	}
}

// BenchmarkProductPage is the most frequent page of the standard
// workload (10 of 23).
func BenchmarkProductPage(b *testing.B) { benchmarkPage(b, "/products/espresso-cup") }

// BenchmarkHomePage is the shop's first page: a grid of products.
func BenchmarkHomePage(b *testing.B) { benchmarkPage(b, "/") }

// BenchmarkAPIProduct is one product as JSON.
func BenchmarkAPIProduct(b *testing.B) { benchmarkPage(b, "/api/v1/products/espresso-cup") }
