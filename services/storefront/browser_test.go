package storefront

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// browser is a shopper's browser over the handler: it keeps cookies the
// way a browser does and remembers the hidden inputs of the last page.
type browser struct {
	t       *testing.T
	h       *harness
	cookies map[string]*http.Cookie
	hidden  map[string]string // hidden inputs of the last HTML page
}

func (h *harness) browser(t *testing.T) *browser {
	return &browser{t: t, h: h, cookies: map[string]*http.Cookie{}, hidden: map[string]string{}}
}

// do sends req with the browser's cookies and keeps the answer's.
func (b *browser) do(req *http.Request) *httptest.ResponseRecorder {
	b.t.Helper()
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	rec := b.h.do(b.t, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = c
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		b.hidden = map[string]string{}
		hiddenInput := regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
		for _, m := range hiddenInput.FindAllStringSubmatch(rec.Body.String(), -1) {
			b.hidden[m[1]] = html.UnescapeString(m[2])
		}
	}
	return rec
}

// get loads a page.
func (b *browser) get(path string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// submit posts form to path as a browser form, adding the CSRF token of
// the last page unless form has one.
func (b *browser) submit(path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	if _, ok := form[csrfField]; !ok {
		form.Set(csrfField, b.hidden[csrfField])
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// api calls the JSON API; body, when set, is sent as application/json.
// headers are name, value pairs.
func (b *browser) api(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	b.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

// session decodes the browser's session cookie.
func (b *browser) session() session {
	b.t.Helper()
	c, ok := b.cookies[sessionCookie]
	if !ok {
		b.t.Fatal("browser has no session cookie")
	}
	s, ok := b.h.sf.sessions.decode(c.Value)
	if !ok {
		b.t.Fatalf("session cookie %q does not decode", c.Value)
	}
	return s
}

// wantRedirect fails unless rec redirects (303) to location.
func wantRedirect(t *testing.T, rec *httptest.ResponseRecorder, location string) {
	t.Helper()
	wantStatus(t, rec, http.StatusSeeOther)
	if got := rec.Header().Get("Location"); got != location {
		t.Fatalf("Location = %q, want %q", got, location)
	}
}

// addToCart adds quantity of product through the product page's form.
func (b *browser) addToCart(product string, quantity int) {
	b.t.Helper()
	wantStatus(b.t, b.get("/products/"+product), http.StatusOK)
	form := url.Values{"product_id": {product}, "quantity": {strconv.Itoa(quantity)}, "key": {b.hidden["key"]}}
	wantRedirect(b.t, b.submit("/cart/items", form), "/cart")
}

// urlValues builds a form from name, value pairs.
func urlValues(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	return v
}
