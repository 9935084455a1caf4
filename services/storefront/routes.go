package storefront

import (
	"io/fs"
	"net/http"
	"strings"
)

// pageCSP is the Content-Security-Policy of pages and API answers: only the
// shop's own style sheet and images, no script at all, forms posting only
// to the shop, no framing.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// routes returns the handler of every public route. Pages and the JSON
// API run with the shopper's session; every form POST must carry the
// session's CSRF token.
func (s *Storefront) routes() http.Handler {
	mux := http.NewServeMux()
	page := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.admit(pattern, s.withSession(h))) }
	form := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, s.admit(pattern, s.withSession(s.formPost(h))))
	}
	api := func(pattern string, handlers map[string]http.HandlerFunc) {
		mux.Handle(pattern, s.admit(pattern, s.withSession(s.apiMethods(handlers))))
	}

	page("GET /{$}", s.handleHome)
	page("GET /category/{id}", s.handleCategory)
	page("GET /products/{id}", s.handleProduct)
	page("GET /search", s.handleSearch)
	form("POST /currency", s.handleSetCurrency)
	page("GET /currency", s.handleSetCurrency)

	page("GET /cart", s.handleCart)
	form("POST /cart/items", s.handleAddToCart)
	form("POST /cart/items/{id}", s.handleSetQuantity)
	form("POST /cart/items/{id}/delete", s.handleRemoveFromCart)
	page("GET /checkout", s.handleCheckoutForm)
	form("POST /checkout", s.handleCheckout)
	page("GET /orders", s.handleOrders)
	page("GET /orders/{id}", s.handleOrder)
	page("GET /signup", s.handleSignUpForm)
	form("POST /signup", s.handleSignUp)
	page("GET /signin", s.handleSignInForm)
	form("POST /signin", s.handleSignIn)
	form("POST /signout", s.handleSignOut)
	page("GET /messages", s.handleMessages)
	page("GET /messages/{id}", s.handleMessage)
	page("/", s.handleNotFound)

	mux.Handle("GET /static/", s.staticHandler(s.static))
	mux.HandleFunc("GET /images/products/{file}", s.handleImage)

	get := http.MethodGet
	api("/api/v1/products", map[string]http.HandlerFunc{get: s.handleAPIListProducts})
	api("/api/v1/products/{id}", map[string]http.HandlerFunc{get: s.handleAPIGetProduct})
	api("/api/v1/cart", map[string]http.HandlerFunc{get: s.handleAPIGetCart, http.MethodDelete: s.handleAPIClearCart})
	api("/api/v1/cart/items", map[string]http.HandlerFunc{http.MethodPost: s.handleAPIAddCartItem})
	api("/api/v1/checkout", map[string]http.HandlerFunc{http.MethodPost: s.handleAPICheckout})
	api("/api/v1/orders", map[string]http.HandlerFunc{get: s.handleAPIListOrders})
	api("/api/v1/orders/{id}", map[string]http.HandlerFunc{get: s.handleAPIGetOrder})
	api("/api/v1/accounts", map[string]http.HandlerFunc{http.MethodPost: s.handleAPICreateAccount})
	api("/api/v1/session", map[string]http.HandlerFunc{
		http.MethodPost: s.handleAPICreateSession, http.MethodDelete: s.handleAPIDeleteSession,
	})
	mux.HandleFunc("/api/", s.apiNotFound)

	mux.HandleFunc("GET /healthz", handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)

	return s.secure(s.rateLimited(mux))
}

// secure sets the headers every answer carries and turns a panic in a
// handler into the error page (logged, never shown). It passes the request
// on unchanged, so the mux's r.Pattern stays visible to middleware outside.
func (s *Storefront) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", pageCSP)
		if r.TLS != nil {
			// Only over TLS: a browser ignores HSTS on plain HTTP, and
			// sending it there would pin nothing.
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "handler panicked", "path", r.URL.Path, "panic", v)
				s.renderFailure(w, r, failInternal())
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// staticHandler serves the embedded style sheet and other assets, cached
// by browsers for an hour. Directories are not listed.
func (s *Storefront) staticHandler(files fs.FS) http.Handler {
	fileServer := http.StripPrefix("/static/", http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			s.handleNotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
}

// handleHealthz answers 200 while the process serves.
func handleHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// handleReadyz answers 200 when Ready does, 503 otherwise.
func (s *Storefront) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.Ready(r.Context()); err != nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}
