package storefront

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestClientLimiterRefillsAndForgets(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	l := newClientLimiter(2, 3, 2, clock.now)
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("request past the burst: allowed=%v wait=%v, want refused with a wait up to 1s", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another client was refused: buckets are per client")
	}
	clock.advance(500 * time.Millisecond) // one token at 2/s
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("a token should have refilled after 500ms")
	}
	if ok, _ := l.allow("c"); !ok {
		t.Fatal("a new client was refused")
	}
	if n := l.size(); n != 2 {
		t.Fatalf("tracked clients = %d, want the bound 2", n)
	}
}

// TestRateLimitPerClient floods the storefront from one address without a
// session, then checks that the flood is refused with 429 and Retry-After
// while another address and the health probes still get through.
func TestRateLimitPerClient(t *testing.T) {
	h := newHarness(t)
	h.sf.limiter = newClientLimiter(1, 5, 100, h.clock.now)
	h.handler = h.sf.routes()
	from := func(addr, path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = addr
		return h.do(t, req)
	}
	for i := range 5 {
		if rec := from("203.0.113.7:4000", "/api/v1/products"); rec.Code != http.StatusOK {
			t.Fatalf("request %d within the burst: status %d", i+1, rec.Code)
		}
	}
	tests := []struct {
		name, addr, path string
		want             int
	}{
		{"API past the burst", "203.0.113.7:4001", "/api/v1/products", http.StatusTooManyRequests},
		{"page past the burst", "203.0.113.7:4002", "/", http.StatusTooManyRequests},
		{"another address", "198.51.100.9:5000", "/api/v1/products", http.StatusOK},
		{"health probe", "203.0.113.7:4003", "/healthz", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := from(tt.addr, tt.path)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.want == http.StatusTooManyRequests {
				if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 {
					t.Errorf("Retry-After %q, want whole seconds >= 1", rec.Header().Get("Retry-After"))
				}
			}
		})
	}
	h.clock.advance(time.Second)
	if rec := from("203.0.113.7:4004", "/api/v1/products"); rec.Code != http.StatusOK {
		t.Errorf("after a second (one token): status %d, want 200", rec.Code)
	}
}

// TestRateLimitKeysOnSession: shoppers behind one address (a load test,
// an office) each have their own bucket once they hold a session.
func TestRateLimitKeysOnSession(t *testing.T) {
	h := newHarness(t)
	h.sf.limiter = newClientLimiter(1, 2, 100, h.clock.now)
	h.handler = h.sf.routes()
	var cookies []*http.Cookie
	for range 2 {
		rec := h.get(t, "/api/v1/products")
		wantStatus(t, rec, http.StatusOK)
		cookies = append(cookies, sessionCookieOf(rec))
	}
	for i, c := range cookies {
		for j := range 2 {
			if rec := h.get(t, "/api/v1/products", c); rec.Code != http.StatusOK {
				t.Fatalf("shopper %d request %d: status %d, want 200 (own bucket)", i, j, rec.Code)
			}
		}
		if rec := h.get(t, "/api/v1/products", c); rec.Code != http.StatusTooManyRequests {
			t.Fatalf("shopper %d past its burst: status %d, want 429", i, rec.Code)
		}
	}
}
