package payment

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
)

// handler implements paymentv1.PaymentServiceServer; it is the one place
// that chooses gRPC status codes. It never logs a card number: requests
// are not logged, only outcomes.
type handler struct {
	paymentv1.UnimplementedPaymentServiceServer
	store  *store
	now    func() time.Time
	logger *slog.Logger
}

// Charge charges a card for an order, at most once.
func (h *handler) Charge(ctx context.Context, req *paymentv1.ChargeRequest) (*paymentv1.ChargeResponse, error) {
	in, err := checkCharge(req, h.now())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	c, err := h.store.charge(ctx, in)
	if err != nil {
		return nil, h.status(ctx, "charge", err)
	}
	h.logger.InfoContext(ctx, "charge", "order_id", c.OrderID, "charge_id", c.ID, "status", c.Status.String())
	return &paymentv1.ChargeResponse{Charge: chargeProto(c)}, nil
}

// Refund refunds an order's successful charge, once.
func (h *handler) Refund(ctx context.Context, req *paymentv1.RefundRequest) (*paymentv1.RefundResponse, error) {
	if err := checkID("order_id", req.GetOrderId()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if err := checkID("idempotency_key", req.GetIdempotencyKey()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	r, err := h.store.refund(ctx, req.GetOrderId(), req.GetIdempotencyKey())
	if err != nil {
		return nil, h.status(ctx, "refund", err)
	}
	h.logger.InfoContext(ctx, "refund", "order_id", r.OrderID, "refund_id", r.ID, "charge_id", r.ChargeID)
	return &paymentv1.RefundResponse{Refund: refundProto(r)}, nil
}

// GetCharge returns a charge by id, or an order's charge.
func (h *handler) GetCharge(ctx context.Context, req *paymentv1.GetChargeRequest) (*paymentv1.GetChargeResponse, error) {
	var c charge
	var err error
	switch id, order := req.GetChargeId(), req.GetOrderId(); {
	case (id == "") == (order == ""):
		return nil, status.Error(codes.InvalidArgument, "set exactly one of charge_id and order_id")
	case id != "":
		if err := checkID("charge_id", id); err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		c, err = h.store.chargeByID(ctx, id)
	default:
		if err := checkID("order_id", order); err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		c, err = h.store.chargeOfOrder(ctx, h.store.db, order)
	}
	if err != nil {
		return nil, h.status(ctx, "get charge", err)
	}
	return &paymentv1.GetChargeResponse{Charge: chargeProto(c)}, nil
}

// ListCharges pages through charges, oldest first.
func (h *handler) ListCharges(ctx context.Context, req *paymentv1.ListChargesRequest) (*paymentv1.ListChargesResponse, error) {
	if order := req.GetOrderId(); order != "" {
		if err := checkID("order_id", order); err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	after, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	page, next, err := h.store.listCharges(ctx, req.GetOrderId(), after, size)
	if err != nil {
		return nil, h.status(ctx, "list charges", err)
	}
	resp := &paymentv1.ListChargesResponse{Charges: make([]*paymentv1.Charge, 0, len(page))}
	for _, c := range page {
		resp.Charges = append(resp.Charges, chargeProto(c))
	}
	if next > 0 {
		resp.NextPageToken = encodePageToken(next)
	}
	return resp, nil
}

// status turns a store error into a gRPC status: the store's own errors
// by meaning, the caller's cancellation or deadline as such, anything
// else logged and reported as Internal without details.
func (h *handler) status(ctx context.Context, op string, err error) error {
	switch {
	case errors.Is(err, errNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, errRefunded), errors.Is(err, errConflict):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, errTransient):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	h.logger.ErrorContext(ctx, op+" failed", "error", err)
	return status.Errorf(codes.Internal, "%s failed", op)
}

// chargeProto is c on the wire.
func chargeProto(c charge) *paymentv1.Charge {
	return &paymentv1.Charge{
		Id:             c.ID,
		OrderId:        c.OrderID,
		IdempotencyKey: c.IdempotencyKey,
		Amount:         c.Amount,
		Status:         c.Status,
		FailureMessage: c.FailureMessage,
		CardLastFour:   c.CardLastFour,
		CreateTime:     timestamppb.New(c.CreateTime),
		UpdateTime:     timestamppb.New(c.UpdateTime),
	}
}

// refundProto is r on the wire.
func refundProto(r refund) *paymentv1.Refund {
	return &paymentv1.Refund{
		Id:             r.ID,
		OrderId:        r.OrderID,
		ChargeId:       r.ChargeID,
		Amount:         r.Amount,
		IdempotencyKey: r.IdempotencyKey,
		CreateTime:     timestamppb.New(r.CreateTime),
	}
}
