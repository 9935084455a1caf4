package storefront

import (
	"net/http"
	"strings"

	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
)

// handleAPIGetCart serves GET /api/v1/cart?currency=.
func (s *Storefront) handleAPIGetCart(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	param := r.URL.Query().Get("currency")
	if param != "" {
		if _, err := parseCurrencyCode(param); err != nil {
			s.writeAPIError(w, r, badCurrency())
			return
		}
	}
	c := s.fetchCommon(ctx, false)
	sess := s.settleMerge(ctx, w, r, sessionOf(r))
	cart, err := s.getCart(ctx, sess)
	c.wait()
	if err != nil {
		s.writeAPIError(w, r, callFailure(err, cartSays("read your cart")))
		return
	}
	want, f, ok := s.apiCurrency(r, param, c.currencies, c.known)
	if !ok {
		s.writeAPIError(w, r, f)
		return
	}
	v := s.priceCart(ctx, cart, want, c.currencies, c.known)
	s.writeAPI(w, r, http.StatusOK, &storefrontv1.GetCartResponse{Cart: apiCart(v)})
}

// handleAPIAddCartItem serves POST /api/v1/cart/items
// {"product_id","quantity"} with an optional Idempotency-Key header.
func (s *Storefront) handleAPIAddCartItem(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key, f, ok := headerKey(r, false)
	if !ok {
		s.writeAPIError(w, r, f)
		return
	}
	var req storefrontv1.AddCartItemRequest
	if f, ok := readJSON(w, r, &req); !ok {
		s.writeAPIError(w, r, f)
		return
	}
	req.ProductId = strings.TrimSpace(req.GetProductId())
	switch {
	case !validProductID(req.GetProductId()):
		s.writeAPIError(w, r, badRequest("product_id: must be a product id, like espresso-cup"))
		return
	case req.GetQuantity() < 1 || req.GetQuantity() > maxLineQuantity:
		s.writeAPIError(w, r, badRequest("quantity: must be from 1 to 99"))
		return
	}
	c := s.fetchCommon(ctx, false)
	sess := s.settleMerge(ctx, w, r, sessionOf(r))
	cart, err := s.addToCart(ctx, sess, req.GetProductId(), req.GetQuantity(), key)
	c.wait()
	if err != nil {
		s.writeAPIError(w, r, callFailure(err, cartSays("add that to your cart")))
		return
	}
	want := s.sessionCurrency(r, c.currencies, c.known)
	v := s.priceCart(ctx, cart, want, c.currencies, c.known)
	s.writeAPI(w, r, http.StatusOK, &storefrontv1.AddCartItemResponse{Cart: apiCart(v)})
}

// handleAPIClearCart serves DELETE /api/v1/cart: 204.
func (s *Storefront) handleAPIClearCart(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := s.settleMerge(ctx, w, r, sessionOf(r))
	if err := s.emptyCart(ctx, sess); err != nil {
		s.writeAPIError(w, r, callFailure(err, cartSays("empty your cart")))
		return
	}
	writeNoContent(w)
}

// apiCart is v as the JSON API shows it: lines the catalog no longer
// sells are left out (the notice says so).
func apiCart(v *cartView) *storefrontv1.Cart {
	out := &storefrontv1.Cart{
		Items:           make([]*storefrontv1.CartItem, 0, len(v.Lines)),
		Subtotal:        v.Subtotal,
		SubtotalDisplay: v.SubtotalDisplay,
		Currency:        v.Currency,
		Notice:          v.Notice,
	}
	for _, l := range v.Lines {
		if l.Gone {
			continue
		}
		out.ItemCount += l.Quantity
		out.Items = append(out.Items, &storefrontv1.CartItem{
			ProductId:        l.ProductID,
			Name:             l.Name,
			Quantity:         l.Quantity,
			UnitPrice:        l.UnitPrice,
			UnitPriceDisplay: l.UnitDisplay,
			LineTotal:        l.LineTotal,
			LineTotalDisplay: l.LineDisplay,
			ImageUrl:         l.ImageURL,
		})
	}
	return out
}
