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

// routes returns the handler of every public route.
func (s *Storefront) routes() http.Handler {
	mux := http.NewServeMux()

	mux.HandleFunc("GET /{$}", s.handleHome)
	mux.HandleFunc("GET /category/{id}", s.handleCategory)
	mux.HandleFunc("GET /products/{id}", s.handleProduct)
	mux.HandleFunc("GET /search", s.handleSearch)
	mux.HandleFunc("POST /currency", s.handleSetCurrency)
	mux.HandleFunc("GET /currency", s.handleSetCurrency)
	mux.HandleFunc("/", s.handleNotFound)

	mux.Handle("GET /static/", s.staticHandler(s.static))
	mux.HandleFunc("GET /images/products/{file}", s.handleImage)

	mux.HandleFunc("/api/v1/products", s.apiGetOnly(s.handleAPIListProducts))
	mux.HandleFunc("/api/v1/products/{id}", s.apiGetOnly(s.handleAPIGetProduct))
	mux.HandleFunc("/api/", s.apiNotFound)

	mux.HandleFunc("GET /healthz", handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)

	return s.secure(mux)
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
