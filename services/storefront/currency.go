package storefront

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bazaar-shop/bazaar/platform/money"
)

// currencyCookie names the cookie holding the shopper's currency.
const currencyCookie = "currency"

// currencyCookieAge is how long the currency choice is remembered.
const currencyCookieAge = 365 * 24 * time.Hour

// maxFormBytes bounds the body of a form POST.
const maxFormBytes = 4 << 10

// parseCurrencyCode normalises a currency code typed or sent by a client
// ("eur" -> "EUR") and checks its shape.
func parseCurrencyCode(s string) (string, error) {
	code := strings.ToUpper(strings.TrimSpace(s))
	if err := money.ValidateCode(code); err != nil {
		return "", err
	}
	return code, nil
}

// sessionCurrency returns the currency of the shopper's cookie when it is
// one the shop sells in (or when that cannot be checked because pricing is
// down), else the base currency.
func (s *Storefront) sessionCurrency(r *http.Request, list currencyList, known bool) string {
	c, err := r.Cookie(currencyCookie)
	if err != nil {
		return s.cfg.BaseCurrency
	}
	code, err := parseCurrencyCode(c.Value)
	if err != nil {
		return s.cfg.BaseCurrency
	}
	if _, ok := list.find(code); known && !ok {
		return s.cfg.BaseCurrency
	}
	return code
}

// handleSetCurrency sets the currency cookie from the "code" form or query
// value and redirects to the local path in "return" (the home page when it
// is missing or not local). It answers POST /currency and GET /currency.
func (s *Storefront) handleSetCurrency(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.renderFailure(w, r, badRequest("That form couldn't be read. Please try again."))
		return
	}
	code, err := parseCurrencyCode(r.Form.Get("code"))
	if err != nil {
		s.renderFailure(w, r, badRequest("Please choose a currency from the list."))
		return
	}
	list, known := s.pricing.listCurrencies(r.Context())
	_, sold := list.find(code)
	switch {
	case known && !sold:
		s.renderFailure(w, r, badRequest("We don't sell in "+code+". Please choose a currency from the list."))
		return
	case !known && code != s.cfg.BaseCurrency:
		s.renderFailure(w, r, failure{http.StatusServiceUnavailable, "unavailable",
			"Currencies can't be changed right now. Prices are shown in " + s.cfg.BaseCurrency + " meanwhile."})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     currencyCookie,
		Value:    code,
		Path:     "/",
		MaxAge:   int(currencyCookieAge / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, localPath(r.Form.Get("return")), http.StatusSeeOther)
}

// localPath returns target when it is a path on this site ("/search?q=x"),
// else "/", so that a redirect never leaves the shop.
func localPath(target string) string {
	if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") || len(target) > 2048 {
		return "/"
	}
	for _, c := range []byte(target) {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return target
}
