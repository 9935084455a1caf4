package orders

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
)

// handler serves ordersv1.OrdersService. It is the one place where errors
// become gRPC statuses.
type handler struct {
	ordersv1.UnimplementedOrdersServiceServer
	svc *Service
}

// PlaceOrder accepts an order, or answers a repeated idempotency key with
// the order it made.
func (h *handler) PlaceOrder(ctx context.Context, req *ordersv1.PlaceOrderRequest) (*ordersv1.PlaceOrderResponse, error) {
	hit, err := h.svc.place(ctx, req)
	if err != nil {
		return nil, h.fail(ctx, "place order", err)
	}
	return &ordersv1.PlaceOrderResponse{OrderId: hit.ID, Status: hit.Status}, nil
}

// GetOrder returns one order.
func (h *handler) GetOrder(ctx context.Context, req *ordersv1.GetOrderRequest) (*ordersv1.GetOrderResponse, error) {
	if err := checkText("order_id", req.GetOrderId(), MaxIDBytes, true); err != nil {
		return nil, h.fail(ctx, "get order", err)
	}
	o, err := h.svc.store.get(ctx, h.svc.store.db, req.GetOrderId())
	if err != nil {
		return nil, h.fail(ctx, "get order", err)
	}
	return &ordersv1.GetOrderResponse{Order: toProto(o)}, nil
}

// ListOrders returns a page of orders, newest first.
func (h *handler) ListOrders(ctx context.Context, req *ordersv1.ListOrdersRequest) (*ordersv1.ListOrdersResponse, error) {
	p, err := listRequest(req)
	if err != nil {
		return nil, h.fail(ctx, "list orders", err)
	}
	orders, more, err := h.svc.store.list(ctx, p)
	if err != nil {
		return nil, h.fail(ctx, "list orders", err)
	}
	resp := &ordersv1.ListOrdersResponse{}
	for _, o := range orders {
		resp.Orders = append(resp.Orders, toProto(o))
	}
	if more {
		last := orders[len(orders)-1]
		resp.NextPageToken = encodeToken(cursor{CreateNS: last.Created.UnixNano(), ID: last.ID})
	}
	return resp, nil
}

// listRequest validates a ListOrdersRequest.
func listRequest(req *ordersv1.ListOrdersRequest) (listParams, error) {
	p := listParams{UserID: req.GetUserId(), ShopperID: req.GetShopperId(), Limit: DefaultPageSize}
	if err := checkText("user_id", p.UserID, MaxIDBytes, false); err != nil {
		return p, err
	}
	if err := checkText("shopper_id", p.ShopperID, MaxIDBytes, false); err != nil {
		return p, err
	}
	switch n := req.GetPageSize(); {
	case n < 0:
		return p, invalidf("page_size", "must not be negative, got %d", n)
	case n > 0:
		p.Limit = min(int(n), MaxPageSize)
	}
	if t := req.GetPageToken(); t != "" {
		c, err := decodeToken(t)
		if err != nil {
			return p, err
		}
		p.After = &c
	}
	return p, nil
}

// tokenPrefix starts every page token, so tokens can change form later.
const tokenPrefix = "v1:"

// encodeToken is the opaque page token resuming after c.
func encodeToken(c cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.FormatInt(c.CreateNS, 10) + ":" + c.ID))
}

// decodeToken reads a page token.
func decodeToken(t string) (cursor, error) {
	bad := invalidf("page_token", "is malformed; pass the next_page_token of a previous response")
	raw, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return cursor{}, bad
	}
	rest, ok := strings.CutPrefix(string(raw), tokenPrefix)
	num, id, ok2 := strings.Cut(rest, ":")
	ns, err := strconv.ParseInt(num, 10, 64)
	if !ok || !ok2 || err != nil || id == "" {
		return cursor{}, bad
	}
	return cursor{CreateNS: ns, ID: id}, nil
}

// toProto is an order as the API shows it.
func toProto(o *order) *ordersv1.Order {
	out := &ordersv1.Order{
		Id:              o.ID,
		ShopperId:       o.ShopperID,
		UserId:          o.UserID,
		Email:           o.Email,
		ShippingAddress: o.Address,
		Subtotal:        o.Subtotal,
		ShippingCost:    o.Shipping,
		Total:           o.Total,
		Status:          o.Status,
		CancelReason:    o.CancelReason,
		CancelMessage:   o.CancelMessage,
		CardLastFour:    o.CardLastFour,
		ChargeId:        o.ChargeID,
		TrackingId:      o.TrackingID,
		Carrier:         o.Carrier,
		CreateTime:      timestamppb.New(o.Created),
		UpdateTime:      timestamppb.New(o.Updated),
	}
	for _, it := range o.Items {
		out.Items = append(out.Items, &ordersv1.OrderItem{
			ProductId: it.ProductID,
			Name:      it.Name,
			Quantity:  it.Quantity,
			UnitPrice: it.UnitPrice,
			LineTotal: it.LineTotal,
		})
	}
	return out
}

// fail turns an error into a status: InvalidArgument for a bad field,
// FailedPrecondition for a reused key or an unserved destination,
// Unavailable when checkout cannot price, NotFound, the context's own
// code when the caller gave up, and Internal (logged, details withheld)
// for anything else.
func (h *handler) fail(ctx context.Context, op string, err error) error {
	var fe *fieldError
	switch {
	case errors.As(err, &fe):
		return status.Error(codes.InvalidArgument, fe.Error())
	case errors.Is(err, errKeyReused):
		return status.Error(codes.FailedPrecondition, errKeyReused.Error())
	case errors.Is(err, errNotShippable):
		return status.Error(codes.FailedPrecondition, "shipping_address: "+err.Error())
	case errors.Is(err, errCheckoutDown):
		h.svc.logger.WarnContext(ctx, op+": dependency down", "err", err)
		return status.Error(codes.Unavailable, errCheckoutDown.Error())
	case errors.Is(err, errNotFound):
		return status.Error(codes.NotFound, "no such order")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	h.svc.logger.ErrorContext(ctx, op+" failed", "err", err)
	return status.Error(codes.Internal, "internal error")
}
