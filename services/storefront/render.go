package storefront

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
)

// templateFS holds the page templates; staticFS the style sheet.
//
//go:embed templates/*.tmpl
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// parsePages parses every page, templates/<name>.tmpl defining "content",
// with the shared layout and partials.
func parsePages() (map[string]*template.Template, error) {
	names := []string{"listing", "product", "search", "error", "cart", "checkout", "order", "orders",
		"account", "messages", "message"}
	pages := make(map[string]*template.Template, len(names))
	for _, name := range names {
		t, err := template.ParseFS(templateFS, "templates/layout.tmpl", "templates/partials.tmpl", "templates/"+name+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// staticFiles returns the static assets, rooted at their directory.
func staticFiles() (fs.FS, error) {
	return fs.Sub(staticFS, "static")
}

// navItem is one category in the navigation.
type navItem struct {
	ID     string
	Name   string
	Active bool
}

// pageData is what every page template is given; each page uses the
// fields it needs.
type pageData struct {
	Title      string
	Nav        []navItem
	Currencies []currency
	Currency   string // selected in the currency selector
	PricesIn   string // currency the page's prices are in
	Notices    []string
	ReturnTo   string
	Query      string
	CSRF       string // the session's CSRF token, for every form
	User       string // the signed-in user's name; empty for a guest
	Refresh    int    // seconds after which the page reloads itself; 0 for never

	// Listing and search pages.
	Hero       bool
	Heading    string
	Subheading string
	Products   []productView
	NextPage   string

	// Product page.
	Product         *productView
	Availability    *availability
	Recommendations []productView
	AddKey          string // idempotency key of the add-to-cart form

	// Cart, checkout and account pages.
	Cart *cartView
	Form *formView

	// Order pages.
	Order  *orderView
	Orders []orderView

	// Messages pages.
	Messages    []messageView
	Mail        *messageView
	MailboxNote string // why the list is empty or missing

	// Error pages.
	Status  int
	Message string
}

// layout is what the layout of a page shows around its content.
type layout struct {
	title  string
	cats   []*catalogv1.Category
	active string // id of the category to mark in the navigation
	list   currencyList
	known  bool   // list came from pricing: show the currency selector
	chosen string // the shopper's currency, selected in the selector
	shown  string // the currency prices are shown in
}

// newPage returns the layout part of a page: navigation with the active
// category marked, the currency selector and the notices.
func newPage(r *http.Request, l layout, notes ...string) pageData {
	nav := make([]navItem, 0, len(l.cats))
	for _, c := range l.cats {
		nav = append(nav, navItem{ID: c.GetId(), Name: c.GetName(), Active: c.GetId() == l.active})
	}
	d := pageData{
		Title:    l.title,
		Nav:      nav,
		Currency: l.chosen,
		PricesIn: l.shown,
		Notices:  notices(notes...),
		ReturnTo: localPath(r.URL.RequestURI()),
	}
	if sess := sessionOf(r); sess.ID != "" {
		d.CSRF = csrfOf(r)
		d.User = sess.Name
		if d.User == "" && sess.signedIn() {
			d.User = sess.Email
		}
	}
	if l.known {
		d.Currencies = l.list.items
	}
	return d
}

// render writes page name with data and status. The page is rendered in
// full before anything is written, so a template error becomes an error
// page, not half a page.
func (s *Storefront) render(w http.ResponseWriter, r *http.Request, status int, name string, data pageData) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		if name != "error" {
			s.renderFailure(w, r, failInternal())
			return
		}
		http.Error(w, failInternal().message, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	noStore(w)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// failureHeading titles the error page of status.
func failureHeading(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusConflict:
		return "That didn't work"
	case http.StatusUnauthorized:
		return "Please sign in"
	case http.StatusForbidden:
		return "That form has expired"
	case http.StatusNotFound:
		return "We couldn't find that"
	case http.StatusServiceUnavailable:
		return "We'll be right back"
	case http.StatusTooManyRequests:
		return "Please slow down"
	default:
		return "Something went wrong"
	}
}

// renderFailure writes the friendly error page of f. It calls no service:
// navigation and currencies come from what is already cached.
func (s *Storefront) renderFailure(w http.ResponseWriter, r *http.Request, f failure) {
	list, known := s.pricing.peekCurrencies()
	heading := failureHeading(f.status)
	chosen := s.sessionCurrency(r, list, known)
	d := newPage(r, layout{title: heading, cats: s.catalog.peekCategories(), list: list, known: known, chosen: chosen})
	d.Status, d.Heading, d.Message = f.status, heading, f.message
	if f.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	s.render(w, r, f.status, "error", d)
}
