package load

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// fakeShop mimics the storefront's public pages and JSON API shapes: a
// session cookie, a cart per session, checkout needing a non-empty cart,
// a card and a fresh Idempotency-Key.
type fakeShop struct {
	mu       sync.Mutex
	carts    map[string]int
	keys     map[string]bool
	accounts map[string]string
	nextSID  int
	orders   int
	// home, when set, serves GET / instead of the default page.
	home http.HandlerFunc
	// cartStatus, when not 0, is the status of GET /cart.
	cartStatus int
}

var fakeProducts = []string{"stoneware-espresso-cup", "linen-apron", "oak-cutting-board"}

func newFakeShop(t *testing.T, f *fakeShop) *httptest.Server {
	t.Helper()
	f.carts, f.keys, f.accounts = map[string]int{}, map[string]bool{}, map[string]string{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if f.home != nil {
			f.home(w, r)
			return
		}
		f.session(w, r)
		fmt.Fprint(w, "<html>home</html>")
	})
	mux.HandleFunc("GET /products/{id}", func(w http.ResponseWriter, r *http.Request) {
		for _, p := range fakeProducts {
			if p == r.PathValue("id") {
				fmt.Fprint(w, "<html>product</html>")
				return
			}
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("GET /search", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("q") == "" {
			http.Error(w, "no query", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "<html>results</html>")
	})
	mux.HandleFunc("GET /currency", func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.Query().Get("code")) != 3 {
			http.Error(w, "bad currency", http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "currency", Value: r.URL.Query().Get("code"), Path: "/"})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /cart", func(w http.ResponseWriter, r *http.Request) {
		if f.cartStatus != 0 {
			http.Error(w, "cart is down", f.cartStatus)
			return
		}
		fmt.Fprint(w, "<html>cart</html>")
	})
	mux.HandleFunc("GET /api/v1/products", f.listProducts)
	mux.HandleFunc("POST /api/v1/accounts", f.createAccount)
	mux.HandleFunc("POST /api/v1/session", f.createSession)
	mux.HandleFunc("DELETE /api/v1/session", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("POST /api/v1/cart/items", f.addItem)
	mux.HandleFunc("POST /api/v1/checkout", f.checkout)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// session returns the session id of the request's cookie, issuing one.
func (f *fakeShop) session(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie("sid"); err == nil {
		return c.Value
	}
	f.mu.Lock()
	f.nextSID++
	sid := strconv.Itoa(f.nextSID)
	f.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/"})
	return sid
}

func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "invalid_argument", "message": msg}})
}

func (f *fakeShop) listProducts(w http.ResponseWriter, r *http.Request) {
	type product struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	// Two pages: the first product, then the rest.
	page := fakeProducts[:1]
	next := "p2"
	if r.URL.Query().Get("page_token") == "p2" {
		page, next = fakeProducts[1:], ""
	}
	var resp struct {
		Products      []product `json:"products"`
		NextPageToken string    `json:"next_page_token"`
		Currency      string    `json:"currency"`
	}
	for _, id := range page {
		resp.Products = append(resp.Products, product{ID: id, Name: "Fine " + id})
	}
	resp.NextPageToken, resp.Currency = next, "USD"
	json.NewEncoder(w).Encode(resp)
}

func (f *fakeShop) createAccount(w http.ResponseWriter, r *http.Request) {
	var req struct{ Email, Password, Name string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Email == "" || len(req.Password) < 8 {
		apiError(w, http.StatusBadRequest, "bad account")
		return
	}
	f.mu.Lock()
	f.accounts[req.Email] = req.Password
	f.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	fmt.Fprint(w, `{"user":{}}`)
}

func (f *fakeShop) createSession(w http.ResponseWriter, r *http.Request) {
	var req struct{ Email, Password string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "bad body")
		return
	}
	f.mu.Lock()
	pw, ok := f.accounts[req.Email]
	f.mu.Unlock()
	if !ok || pw != req.Password {
		apiError(w, http.StatusUnauthorized, "wrong e-mail or password")
		return
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprint(w, `{}`)
}

func (f *fakeShop) addItem(w http.ResponseWriter, r *http.Request) {
	sid := f.session(w, r)
	var req struct {
		ProductID string `json:"product_id"`
		Quantity  int    `json:"quantity"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ProductID == "" || req.Quantity <= 0 {
		apiError(w, http.StatusBadRequest, "bad item")
		return
	}
	f.mu.Lock()
	f.carts[sid] += req.Quantity
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, `{"items":[]}`)
}

func (f *fakeShop) checkout(w http.ResponseWriter, r *http.Request) {
	sid := f.session(w, r)
	key := r.Header.Get("Idempotency-Key")
	var req struct {
		Email string `json:"email"`
		Card  struct {
			Number string `json:"number"`
		} `json:"card"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Email == "" || req.Card.Number != "4242424242424242" {
		apiError(w, http.StatusBadRequest, "bad checkout")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case key == "" || f.keys[key]:
		apiError(w, http.StatusConflict, "Idempotency-Key missing or reused")
		return
	case f.carts[sid] == 0:
		apiError(w, http.StatusBadRequest, "cart is empty")
		return
	}
	f.keys[key] = true
	f.carts[sid] = 0
	f.orders++
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"order_id":"o%d","status":"PENDING"}`, f.orders)
}
