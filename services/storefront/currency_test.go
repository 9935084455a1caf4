package storefront

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestSetCurrency(t *testing.T) {
	tests := []struct {
		name         string
		method       string
		form         url.Values
		wantStatus   int
		wantCookie   string // "" when no cookie may be set
		wantLocation string
	}{
		{name: "post returns to the page", method: http.MethodPost, form: url.Values{"code": {"EUR"}, "return": {"/products/espresso-cup"}},
			wantStatus: http.StatusSeeOther, wantCookie: "EUR", wantLocation: "/products/espresso-cup"},
		{name: "get with query and lower case", method: http.MethodGet, form: url.Values{"code": {"jpy"}, "return": {"/search?q=cup"}},
			wantStatus: http.StatusSeeOther, wantCookie: "JPY", wantLocation: "/search?q=cup"},
		{name: "base currency", method: http.MethodPost, form: url.Values{"code": {"USD"}},
			wantStatus: http.StatusSeeOther, wantCookie: "USD", wantLocation: "/"},
		{name: "absolute URL is not followed", method: http.MethodPost, form: url.Values{"code": {"EUR"}, "return": {"https://evil.example/"}},
			wantStatus: http.StatusSeeOther, wantCookie: "EUR", wantLocation: "/"},
		{name: "scheme-relative URL is not followed", method: http.MethodPost, form: url.Values{"code": {"EUR"}, "return": {"//evil.example/x"}},
			wantStatus: http.StatusSeeOther, wantCookie: "EUR", wantLocation: "/"},
		{name: "backslash trick is not followed", method: http.MethodPost, form: url.Values{"code": {"EUR"}, "return": {`/\evil.example`}},
			wantStatus: http.StatusSeeOther, wantCookie: "EUR", wantLocation: "/"},
		{name: "currency not sold", method: http.MethodPost, form: url.Values{"code": {"GBP"}, "return": {"/"}},
			wantStatus: http.StatusBadRequest},
		{name: "malformed code", method: http.MethodPost, form: url.Values{"code": {"E1"}},
			wantStatus: http.StatusBadRequest},
		{name: "missing code", method: http.MethodGet, form: url.Values{}, wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser(t)
			wantStatus(t, b.get("/"), http.StatusOK) // the session and its CSRF token
			var rec *httptest.ResponseRecorder
			if tt.method == http.MethodPost {
				rec = b.submit("/currency", tt.form)
			} else {
				rec = b.get("/currency?" + tt.form.Encode())
			}
			wantStatus(t, rec, tt.wantStatus)
			cookies := currencyCookies(rec)
			if tt.wantCookie == "" {
				if len(cookies) != 0 {
					t.Fatalf("cookies set on a rejected currency: %v", cookies)
				}
				return
			}
			if len(cookies) != 1 {
				t.Fatalf("got %d currency cookies, want 1", len(cookies))
			}
			c := cookies[0]
			if c.Name != currencyCookie || c.Value != tt.wantCookie || c.Path != "/" || !c.HttpOnly ||
				c.SameSite != http.SameSiteLaxMode || c.MaxAge <= 0 {
				t.Errorf("cookie = %+v, want currency=%s, Path=/, HttpOnly, SameSite=Lax, persistent", c, tt.wantCookie)
			}
			if loc := rec.Header().Get("Location"); loc != tt.wantLocation {
				t.Errorf("Location = %q, want %q", loc, tt.wantLocation)
			}
		})
	}
}

// currencyCookies are the currency cookies rec sets.
func currencyCookies(rec *httptest.ResponseRecorder) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == currencyCookie {
			out = append(out, c)
		}
	}
	return out
}

func TestCurrencyCookieIsHonoured(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	wantStatus(t, b.get("/products/espresso-cup"), http.StatusOK)
	rec := b.submit("/currency", url.Values{"code": {"JPY"}, "return": {b.hidden["return"]}})
	wantRedirect(t, rec, "/products/espresso-cup")

	page := b.get(rec.Header().Get("Location"))
	wantStatus(t, page, http.StatusOK)
	wantBody(t, page.Body.String(), "¥1,948", `<option value="JPY" selected>`)
}

func TestCurrencyFormNeedsCSRFToken(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	wantStatus(t, b.get("/"), http.StatusOK)
	for name, token := range map[string]string{"missing": "", "wrong": "bm90LWEtdG9rZW4"} {
		t.Run(name, func(t *testing.T) {
			rec := b.submit("/currency", url.Values{"code": {"EUR"}, csrfField: {token}})
			wantStatus(t, rec, http.StatusForbidden)
			if len(currencyCookies(rec)) != 0 {
				t.Error("currency stored from a form without the CSRF token")
			}
		})
	}
}

func TestCurrencyChangeWhilePricingIsDown(t *testing.T) {
	h := newHarness(t)
	h.pricing.setFail(errDown())
	rec := h.get(t, "/currency?code=EUR")
	wantStatus(t, rec, http.StatusServiceUnavailable)
	wantBody(t, rec.Body.String(), "Currencies can&#39;t be changed right now")
	if len(currencyCookies(rec)) != 0 {
		t.Error("a currency that cannot be checked was stored")
	}
}

func TestLocalPath(t *testing.T) {
	tests := map[string]string{
		"":                         "/",
		"/":                        "/",
		"/products/espresso-cup":   "/products/espresso-cup",
		"/search?q=a+b&category=x": "/search?q=a+b&category=x",
		"products":                 "/",
		"//evil.example":           "/",
		"/\\evil.example":          "/",
		"https://evil.example/":    "/",
		"javascript:alert(1)":      "/",
		"/x\r\nSet-Cookie: a=b":    "/",
		"/\tevil":                  "/",
	}
	for in, want := range tests {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
