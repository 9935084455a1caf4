package shipping

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"

	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// handler implements shippingv1.ShippingServiceServer; it is the one
// place that chooses gRPC status codes.
type handler struct {
	shippingv1.UnimplementedShippingServiceServer
	store   *store
	shipper *shipper
	// notify wakes the outbox relay after a commit.
	notify func()
	logger *slog.Logger
}

// GetQuote prices a parcel from the rate table, in the base currency.
func (h *handler) GetQuote(ctx context.Context, req *shippingv1.GetQuoteRequest) (*shippingv1.GetQuoteResponse, error) {
	if req.GetAddress() == nil {
		return nil, h.fail(ctx, "get quote", invalidf("address is required"))
	}
	country, err := checkCountry("address.country_code", req.GetAddress().GetCountryCode())
	if err != nil {
		return nil, h.fail(ctx, "get quote", err)
	}
	_, weight, err := checkItems(req.GetItems())
	if err != nil {
		return nil, h.fail(ctx, "get quote", err)
	}
	if c := req.GetCurrencyCode(); c != "" {
		if err := money.ValidateCode(c); err != nil {
			return nil, h.fail(ctx, "get quote", invalidf("currency_code: %v", err))
		}
	}
	q, err := quoteFor(country, weight)
	if err != nil {
		return nil, h.fail(ctx, "get quote", err)
	}
	return &shippingv1.GetQuoteResponse{Quote: &shippingv1.Quote{
		Cost:             usdCents(q.Cents),
		Carrier:          Carrier,
		EstimatedDays:    q.EstimatedDays,
		TotalWeightGrams: q.WeightGrams,
	}}, nil
}

// CreateShipment ships an order once; repeats return the first shipment.
func (h *handler) CreateShipment(ctx context.Context, req *shippingv1.CreateShipmentRequest) (*shippingv1.CreateShipmentResponse, error) {
	n, err := checkCreate(req.GetOrderId(), req.GetAddress(), req.GetItems(), req.GetEmail())
	if err != nil {
		return nil, h.fail(ctx, "create shipment", err)
	}
	var sh shipment
	var created bool
	err = h.store.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		sh, created, err = h.shipper.ship(ctx, tx, n)
		return err
	})
	if err != nil {
		return nil, h.fail(ctx, "create shipment", err)
	}
	if created {
		h.notify()
		h.logger.InfoContext(ctx, "shipment created", "order_id", sh.OrderID, "shipment_id", sh.ID, "tracking_id", sh.TrackingID)
	}
	return &shippingv1.CreateShipmentResponse{Shipment: shipmentProto(sh)}, nil
}

// GetShipment returns a shipment by id or by order id.
func (h *handler) GetShipment(ctx context.Context, req *shippingv1.GetShipmentRequest) (*shippingv1.GetShipmentResponse, error) {
	id, orderID := req.GetShipmentId(), req.GetOrderId()
	var sh shipment
	var err error
	switch {
	case id != "" && orderID != "":
		err = invalidf("set shipment_id or order_id, not both")
	case id != "":
		if err = checkText("shipment_id", id, maxIDBytes); err == nil {
			sh, err = h.store.byID(ctx, h.store.db, id)
		}
	case orderID != "":
		if err = checkText("order_id", orderID, maxOrderIDBytes); err == nil {
			sh, err = h.store.byOrder(ctx, h.store.db, orderID)
		}
	default:
		err = invalidf("shipment_id or order_id is required")
	}
	if err != nil {
		return nil, h.fail(ctx, "get shipment", err)
	}
	return &shippingv1.GetShipmentResponse{Shipment: shipmentProto(sh)}, nil
}

// TrackShipment returns a shipment and its journey by tracking id.
func (h *handler) TrackShipment(ctx context.Context, req *shippingv1.TrackShipmentRequest) (*shippingv1.TrackShipmentResponse, error) {
	if err := checkText("tracking_id", req.GetTrackingId(), maxIDBytes); err != nil {
		return nil, h.fail(ctx, "track shipment", err)
	}
	sh, err := h.store.byTracking(ctx, h.store.db, req.GetTrackingId())
	if err != nil {
		return nil, h.fail(ctx, "track shipment", err)
	}
	evs, err := h.store.tracking(ctx, h.store.db, sh.ID)
	if err != nil {
		return nil, h.fail(ctx, "track shipment", err)
	}
	return &shippingv1.TrackShipmentResponse{Shipment: shipmentProto(sh), Events: trackingProto(evs)}, nil
}

// fail turns an error into a status: bad input InvalidArgument, an
// unserved country FailedPrecondition, a missing shipment NotFound, the
// caller's own cancellation as such, anything else logged and reported as
// Internal without details.
func (h *handler) fail(ctx context.Context, op string, err error) error {
	switch {
	case isInvalid(err):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, errNotServed):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, errNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	h.logger.ErrorContext(ctx, op+" failed", "error", err)
	return status.Errorf(codes.Internal, "%s failed", op)
}
