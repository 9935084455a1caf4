package storefront

import (
	"context"
	"fmt"
	"strings"
	"time"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Order statuses as pages and the JSON API name them.
const (
	statusPending   = "PENDING"
	statusConfirmed = "CONFIRMED"
	statusCancelled = "CANCELLED"
)

// Page sizes of order history.
const (
	defaultOrdersPageSize = 20
	maxOrdersPageSize     = 100
)

// ordersSays are the words for a failed orders read.
func ordersSays() says {
	return says{
		notFound:    "We couldn't find that order.",
		invalid:     "That page of orders isn't valid.",
		unavailable: "We can't show your orders right now. They are safe; please try again in a moment.",
	}
}

// statusName is st as the shopper reads it: PENDING, CONFIRMED or
// CANCELLED (an order not yet settled reads PENDING).
func statusName(st ordersv1.OrderStatus) string {
	switch st {
	case ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED:
		return statusConfirmed
	case ordersv1.OrderStatus_ORDER_STATUS_CANCELLED:
		return statusCancelled
	default:
		return statusPending
	}
}

// cancelWords says why an order was cancelled.
func cancelWords(o *ordersv1.Order) string {
	if o.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_CANCELLED {
		return ""
	}
	if m := strings.TrimSpace(o.GetCancelMessage()); m != "" {
		return m
	}
	switch o.GetCancelReason() {
	case ordersv1.CancelReason_CANCEL_REASON_OUT_OF_STOCK:
		return "An item was out of stock. Nothing was charged."
	case ordersv1.CancelReason_CANCEL_REASON_PAYMENT_DECLINED:
		return "The card issuer declined the payment."
	case ordersv1.CancelReason_CANCEL_REASON_INSUFFICIENT_FUNDS:
		return "The card has insufficient funds."
	default:
		return "The order was cancelled."
	}
}

// ownsOrder reports whether the session may see o: it placed it (as this
// guest session, or as the signed-in user).
func ownsOrder(sess session, o *ordersv1.Order) bool {
	if o.GetShopperId() != "" && o.GetShopperId() == sess.ID {
		return true
	}
	return sess.signedIn() && (o.GetUserId() == sess.UserID || o.GetShopperId() == sess.UserID)
}

// validOpaqueID reports whether id can name an order or a message: 1 to
// 128 bytes of letters, digits, '-' and '_'. Other ids are answered 404
// without asking.
func validOpaqueID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// errNotYours stands for NOT_FOUND when an order exists but belongs to
// another shopper: the two are answered alike.
func errNotYours() error {
	return status.Error(codes.NotFound, "order of another shopper")
}

// getOrder returns the session's order id; NOT_FOUND when there is none
// or it is another shopper's.
func (s *Storefront) getOrder(ctx context.Context, sess session, id string) (*ordersv1.Order, error) {
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	resp, err := s.deps.Orders.GetOrder(ctx, &ordersv1.GetOrderRequest{OrderId: id})
	if err != nil {
		s.logCallFailure(ctx, "orders", "GetOrder", err)
		return nil, fmt.Errorf("get order %s: %w", id, err)
	}
	if !ownsOrder(sess, resp.GetOrder()) {
		return nil, fmt.Errorf("get order %s: %w", id, errNotYours())
	}
	return resp.GetOrder(), nil
}

// listOrders returns a page of the session's orders: the signed-in
// user's, or this guest session's.
func (s *Storefront) listOrders(ctx context.Context, sess session, size int32, token string) (*ordersv1.ListOrdersResponse, error) {
	req := &ordersv1.ListOrdersRequest{ShopperId: sess.ID, PageSize: size, PageToken: token}
	if sess.signedIn() {
		req = &ordersv1.ListOrdersRequest{UserId: sess.UserID, PageSize: size, PageToken: token}
	}
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	resp, err := s.deps.Orders.ListOrders(ctx, req)
	if err != nil {
		s.logCallFailure(ctx, "orders", "ListOrders", err)
		return nil, fmt.Errorf("list orders of %s: %w", sess.shopperID(), err)
	}
	// Defence in depth: never show an order the filter should have kept out.
	kept := resp.GetOrders()[:0:0]
	for _, o := range resp.GetOrders() {
		if ownsOrder(sess, o) {
			kept = append(kept, o)
		}
	}
	return &ordersv1.ListOrdersResponse{Orders: kept, NextPageToken: resp.GetNextPageToken()}, nil
}

// apiOrder is o as the shopper sees it, amounts formatted with list.
func apiOrder(o *ordersv1.Order, list currencyList) *storefrontv1.Order {
	show := func(m *typesv1.Money) string {
		if m == nil {
			return ""
		}
		return formatted([]*typesv1.Money{m}, list, m.GetCurrencyCode(), "").display[0]
	}
	out := &storefrontv1.Order{
		OrderId:         o.GetId(),
		Status:          statusName(o.GetStatus()),
		CancelReason:    cancelWords(o),
		Email:           o.GetEmail(),
		Address:         o.GetShippingAddress(),
		Items:           make([]*storefrontv1.OrderItem, 0, len(o.GetItems())),
		Subtotal:        o.GetSubtotal(),
		SubtotalDisplay: show(o.GetSubtotal()),
		Shipping:        o.GetShippingCost(),
		ShippingDisplay: show(o.GetShippingCost()),
		Total:           o.GetTotal(),
		TotalDisplay:    show(o.GetTotal()),
		Currency:        o.GetTotal().GetCurrencyCode(),
		CardLastFour:    o.GetCardLastFour(),
		TrackingId:      o.GetTrackingId(),
		Carrier:         o.GetCarrier(),
		CreateTime:      o.GetCreateTime(),
		UpdateTime:      o.GetUpdateTime(),
	}
	for _, it := range o.GetItems() {
		out.Items = append(out.Items, &storefrontv1.OrderItem{
			ProductId:        it.GetProductId(),
			Name:             it.GetName(),
			Quantity:         it.GetQuantity(),
			UnitPrice:        it.GetUnitPrice(),
			UnitPriceDisplay: show(it.GetUnitPrice()),
			LineTotal:        it.GetLineTotal(),
			LineTotalDisplay: show(it.GetLineTotal()),
		})
	}
	return out
}

// orderView is an order as its page shows it.
type orderView struct {
	*storefrontv1.Order
	Placed string
}

// Pending reports whether the order is still being settled.
func (v orderView) Pending() bool { return v.GetStatus() == statusPending }

// Confirmed reports whether the order is confirmed.
func (v orderView) Confirmed() bool { return v.GetStatus() == statusConfirmed }

// Cancelled reports whether the order is cancelled.
func (v orderView) Cancelled() bool { return v.GetStatus() == statusCancelled }

// newOrderView is o ready for a page.
func newOrderView(o *ordersv1.Order, list currencyList) orderView {
	v := orderView{Order: apiOrder(o, list)}
	if t := o.GetCreateTime(); t.IsValid() {
		v.Placed = formatTime(t.AsTime())
	}
	return v
}

// formatTime writes t for people; empty for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006, 15:04 MST")
}
