package storefront

import (
	"net/http"
	"net/url"
)

// pendingRefreshSeconds is how often a pending order's page reloads.
const pendingRefreshSeconds = 2

// handleOrder serves GET /orders/{id}: the order's status, items, totals
// and tracking. Another shopper's order is answered 404, as one that does
// not exist. A pending order's page reloads itself.
func (s *Storefront) handleOrder(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	if !validOpaqueID(id) {
		s.renderFailure(w, r, callFailure(errNotYours(), ordersSays()))
		return
	}
	c := s.fetchCommon(ctx, true)
	o, err := s.getOrder(ctx, sessionOf(r), id)
	c.wait()
	if err != nil {
		s.renderFailure(w, r, callFailure(err, ordersSays()))
		return
	}
	v := newOrderView(o, c.currencies)
	want := s.sessionCurrency(r, c.currencies, c.known)
	d := newPage(r, c.layout("Order "+v.GetOrderId(), "", want, v.GetCurrency()))
	d.Order = &v
	if v.Pending() {
		d.Refresh = pendingRefreshSeconds
	}
	s.render(w, r, http.StatusOK, "order", d)
}

// handleOrders serves GET /orders?page=: the signed-in user's orders, or
// this guest session's, newest first.
func (s *Storefront) handleOrders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := r.URL.Query().Get("page")
	if len(token) > maxPageTokenBytes {
		s.renderFailure(w, r, badRequest("That page number isn't valid."))
		return
	}
	c := s.fetchCommon(ctx, true)
	resp, err := s.listOrders(ctx, sessionOf(r), defaultOrdersPageSize, token)
	c.wait()
	if err != nil {
		s.renderFailure(w, r, callFailure(err, ordersSays()))
		return
	}
	want := s.sessionCurrency(r, c.currencies, c.known)
	d := newPage(r, c.layout("Your orders", "", want, ""))
	d.Orders = make([]orderView, 0, len(resp.GetOrders()))
	for _, o := range resp.GetOrders() {
		d.Orders = append(d.Orders, newOrderView(o, c.currencies))
	}
	if next := resp.GetNextPageToken(); next != "" {
		d.NextPage = "/orders?" + url.Values{"page": {next}}.Encode()
	}
	s.render(w, r, http.StatusOK, "orders", d)
}
