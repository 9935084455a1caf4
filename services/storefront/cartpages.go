package storefront

import (
	"net/http"
	"strconv"
	"strings"
)

// handleCart serves GET /cart: the session's cart, priced in the
// shopper's currency.
func (s *Storefront) handleCart(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c := s.fetchCommon(ctx, true)
	sess := s.settleMerge(ctx, w, r, sessionOf(r))
	cart, err := s.getCart(ctx, sess)
	c.wait()
	if err != nil {
		s.renderFailure(w, r, callFailure(err, cartSays("show your cart")))
		return
	}
	want := s.sessionCurrency(r, c.currencies, c.known)
	v := s.priceCart(ctx, cart, want, c.currencies, c.known)
	d := newPage(r, c.layout("Your cart", "", want, v.Currency), v.Notice)
	d.Cart = v
	s.render(w, r, http.StatusOK, "cart", d)
}

// handleAddToCart serves POST /cart/items (product_id, quantity, key):
// adds to the cart and shows it.
func (s *Storefront) handleAddToCart(w http.ResponseWriter, r *http.Request) {
	product := r.PostForm.Get("product_id")
	if !validProductID(product) {
		s.renderFailure(w, r, failNoProduct())
		return
	}
	quantity, ok := formQuantity(r.PostForm.Get("quantity"), 1)
	if !ok {
		s.renderFailure(w, r, badRequest("Please choose a quantity from 1 to 99."))
		return
	}
	key := r.PostForm.Get("key")
	if !validIdempotencyKey(key) {
		key = ""
	}
	sess := s.settleMerge(r.Context(), w, r, sessionOf(r))
	if _, err := s.addToCart(r.Context(), sess, product, quantity, key); err != nil {
		s.renderFailure(w, r, callFailure(err, cartSays("add that to your cart")))
		return
	}
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
}

// handleSetQuantity serves POST /cart/items/{id} (quantity): sets the
// line's quantity; 0 removes it.
func (s *Storefront) handleSetQuantity(w http.ResponseWriter, r *http.Request) {
	product := r.PathValue("id")
	if !validProductID(product) {
		s.renderFailure(w, r, failNoProduct())
		return
	}
	quantity, ok := formQuantity(r.PostForm.Get("quantity"), 0)
	if !ok {
		s.renderFailure(w, r, badRequest("Please choose a quantity from 0 to 99."))
		return
	}
	sess := s.settleMerge(r.Context(), w, r, sessionOf(r))
	if err := s.setQuantity(r.Context(), sess, product, quantity); err != nil {
		s.renderFailure(w, r, callFailure(err, cartSays("change your cart")))
		return
	}
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
}

// handleRemoveFromCart serves POST /cart/items/{id}/delete.
func (s *Storefront) handleRemoveFromCart(w http.ResponseWriter, r *http.Request) {
	product := r.PathValue("id")
	if !validProductID(product) {
		s.renderFailure(w, r, failNoProduct())
		return
	}
	sess := s.settleMerge(r.Context(), w, r, sessionOf(r))
	if err := s.removeFromCart(r.Context(), sess, product); err != nil {
		s.renderFailure(w, r, callFailure(err, cartSays("change your cart")))
		return
	}
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
}

// formQuantity reads a quantity typed in a form: least to 99; empty means
// 1 for an addition (least 1).
func formQuantity(s string, least int) (int32, bool) {
	s = strings.TrimSpace(s)
	if s == "" && least == 1 {
		return 1, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < least || n > maxLineQuantity {
		return 0, false
	}
	return int32(n), true
}
