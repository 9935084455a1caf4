package storefront

import (
	"net/http"
	"net/url"
	"strconv"

	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
)

// handleAPICheckout serves POST /api/v1/checkout with an Idempotency-Key
// header: orders the session's cart and answers 202 {"order_id","status"}.
func (s *Storefront) handleAPICheckout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key, f, ok := headerKey(r, true)
	if !ok {
		s.writeAPIError(w, r, f)
		return
	}
	var req storefrontv1.CheckoutRequest
	if f, ok := readJSON(w, r, &req); !ok {
		s.writeAPIError(w, r, f)
		return
	}
	normalizeCheckout(&req)
	req.IdempotencyKey = key
	var errs fieldErrors
	validateCheckout(&req, s.cfg.Now(), &errs)
	if len(errs) > 0 {
		s.writeAPIError(w, r, errs.apiFailure())
		return
	}
	if req.Currency != "" {
		list, known := s.pricing.listCurrencies(ctx)
		code, f, ok := s.apiCurrency(r, req.Currency, list, known)
		if !ok {
			f.message = "currency: " + f.message
			s.writeAPIError(w, r, f)
			return
		}
		req.Currency = code
	}
	req.Currency = s.orderCurrency(ctx, r, req.Currency)
	p, f, ok := s.checkout(ctx, w, r, sessionOf(r), &req, key)
	if !ok {
		s.writeAPIError(w, r, f)
		return
	}
	w.Header().Set("Location", "/api/v1/orders/"+url.PathEscape(p.orderID))
	s.writeAPI(w, r, http.StatusAccepted, &storefrontv1.CheckoutResponse{OrderId: p.orderID, Status: p.status})
}

// handleAPIGetOrder serves GET /api/v1/orders/{id}: 404 for an order that
// does not exist or is another shopper's.
func (s *Storefront) handleAPIGetOrder(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	if !validOpaqueID(id) {
		s.writeAPIError(w, r, callFailure(errNotYours(), ordersSays()))
		return
	}
	o, err := s.getOrder(ctx, sessionOf(r), id)
	if err != nil {
		s.writeAPIError(w, r, callFailure(err, ordersSays()))
		return
	}
	list, _ := s.pricing.listCurrencies(ctx)
	s.writeAPI(w, r, http.StatusOK, &storefrontv1.GetOrderResponse{Order: apiOrder(o, list)})
}

// handleAPIListOrders serves GET /api/v1/orders?page_size=&page_token=.
func (s *Storefront) handleAPIListOrders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	size := int32(defaultOrdersPageSize)
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			s.writeAPIError(w, r, badRequest("page_size: must be a whole number from 0 to 100"))
			return
		}
		if n > 0 {
			size = int32(min(n, maxOrdersPageSize))
		}
	}
	token := q.Get("page_token")
	if len(token) > maxPageTokenBytes {
		s.writeAPIError(w, r, badRequest("page_token: not valid"))
		return
	}
	resp, err := s.listOrders(ctx, sessionOf(r), size, token)
	if err != nil {
		s.writeAPIError(w, r, callFailure(err, ordersSays()))
		return
	}
	list, _ := s.pricing.listCurrencies(ctx)
	out := &storefrontv1.ListOrdersResponse{
		Orders:        make([]*storefrontv1.Order, 0, len(resp.GetOrders())),
		NextPageToken: resp.GetNextPageToken(),
	}
	for _, o := range resp.GetOrders() {
		out.Orders = append(out.Orders, apiOrder(o, list))
	}
	s.writeAPI(w, r, http.StatusOK, out)
}
