package inventory

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
)

// handler implements inventoryv1.InventoryServiceServer; it is the one
// place that chooses gRPC status codes.
type handler struct {
	inventoryv1.UnimplementedInventoryServiceServer
	store  *store
	logger *slog.Logger
}

// GetStock returns one product's stock.
func (h *handler) GetStock(ctx context.Context, req *inventoryv1.GetStockRequest) (*inventoryv1.GetStockResponse, error) {
	if err := checkID("product_id", req.GetProductId()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	st, err := h.store.getStock(ctx, req.GetProductId())
	if err != nil {
		return nil, h.status(ctx, "get stock", err)
	}
	return &inventoryv1.GetStockResponse{Stock: stockProto(st)}, nil
}

// BatchGetAvailability returns how many of each product can be sold now.
func (h *handler) BatchGetAvailability(ctx context.Context, req *inventoryv1.BatchGetAvailabilityRequest) (*inventoryv1.BatchGetAvailabilityResponse, error) {
	ids := req.GetProductIds()
	if err := checkBatchIDs(ids); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	avail, err := h.store.availability(ctx, ids)
	if err != nil {
		return nil, h.status(ctx, "get availability", err)
	}
	resp := &inventoryv1.BatchGetAvailabilityResponse{}
	for _, id := range ids {
		n, ok := avail[id]
		if !ok {
			resp.MissingIds = append(resp.MissingIds, id)
			continue
		}
		resp.Availabilities = append(resp.Availabilities, &inventoryv1.Availability{ProductId: id, Available: n})
	}
	return resp, nil
}

// Reserve holds stock for every item of an order, all or nothing.
func (h *handler) Reserve(ctx context.Context, req *inventoryv1.ReserveRequest) (*inventoryv1.ReserveResponse, error) {
	if err := checkID("order_id", req.GetOrderId()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	items, err := checkItems(req.GetItems())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	r, err := h.store.reserve(ctx, req.GetOrderId(), items)
	if err != nil {
		return nil, h.status(ctx, "reserve", err)
	}
	h.logger.DebugContext(ctx, "reserve", "order_id", r.OrderID, "state", r.State.String())
	return &inventoryv1.ReserveResponse{Reservation: reservationProto(r)}, nil
}

// Release gives an order's held stock back.
func (h *handler) Release(ctx context.Context, req *inventoryv1.ReleaseRequest) (*inventoryv1.ReleaseResponse, error) {
	if err := checkID("order_id", req.GetOrderId()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	r, err := h.store.release(ctx, req.GetOrderId())
	if err != nil {
		return nil, h.status(ctx, "release", err)
	}
	h.logger.DebugContext(ctx, "release", "order_id", r.OrderID, "state", r.State.String())
	return &inventoryv1.ReleaseResponse{Reservation: reservationProto(r)}, nil
}

// Commit turns an order's held stock into sold stock.
func (h *handler) Commit(ctx context.Context, req *inventoryv1.CommitRequest) (*inventoryv1.CommitResponse, error) {
	if err := checkID("order_id", req.GetOrderId()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	r, err := h.store.commit(ctx, req.GetOrderId())
	if err != nil {
		return nil, h.status(ctx, "commit", err)
	}
	h.logger.DebugContext(ctx, "commit", "order_id", r.OrderID, "state", r.State.String())
	return &inventoryv1.CommitResponse{Reservation: reservationProto(r)}, nil
}

// GetReservation returns an order's reservation.
func (h *handler) GetReservation(ctx context.Context, req *inventoryv1.GetReservationRequest) (*inventoryv1.GetReservationResponse, error) {
	if err := checkID("order_id", req.GetOrderId()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	r, err := h.store.reservation(ctx, req.GetOrderId())
	if err != nil {
		return nil, h.status(ctx, "get reservation", err)
	}
	return &inventoryv1.GetReservationResponse{Reservation: reservationProto(r)}, nil
}

// ListStock pages through every product's stock by product id.
func (h *handler) ListStock(ctx context.Context, req *inventoryv1.ListStockRequest) (*inventoryv1.ListStockResponse, error) {
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	after, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	page, more, err := h.store.listStock(ctx, after, size)
	if err != nil {
		return nil, h.status(ctx, "list stock", err)
	}
	resp := &inventoryv1.ListStockResponse{Stocks: make([]*inventoryv1.Stock, 0, len(page))}
	for _, st := range page {
		resp.Stocks = append(resp.Stocks, stockProto(st))
	}
	if more {
		resp.NextPageToken = encodePageToken(page[len(page)-1].ProductID)
	}
	return resp, nil
}

// status turns a store error into a gRPC status: the store's own errors
// by meaning, the caller's cancellation or deadline as such, anything
// else logged and reported as Internal without details.
func (h *handler) status(ctx context.Context, op string, err error) error {
	switch {
	case errors.Is(err, errUnknownProduct), errors.Is(err, errNoReservation):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, errCommitted), errors.Is(err, errNotReserved):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	h.logger.ErrorContext(ctx, op+" failed", "error", err)
	return status.Errorf(codes.Internal, "%s failed", op)
}

// stockProto is st on the wire.
func stockProto(st stock) *inventoryv1.Stock {
	return &inventoryv1.Stock{
		ProductId:  st.ProductID,
		OnHand:     st.OnHand,
		Reserved:   st.Reserved,
		Sold:       st.Sold,
		Loaded:     st.Loaded,
		UpdateTime: timestamppb.New(st.UpdateTime),
	}
}

// reservationProto is r on the wire.
func reservationProto(r reservation) *inventoryv1.Reservation {
	out := &inventoryv1.Reservation{
		OrderId:    r.OrderID,
		State:      r.State,
		CreateTime: timestamppb.New(r.CreateTime),
		UpdateTime: timestamppb.New(r.UpdateTime),
	}
	for _, it := range r.Items {
		out.Items = append(out.Items, &inventoryv1.ReservationItem{ProductId: it.ProductID, Quantity: it.Quantity})
	}
	for _, sh := range r.Shortages {
		out.Shortages = append(out.Shortages, &inventoryv1.Shortage{ProductId: sh.ProductID, Requested: sh.Requested, Available: sh.Available})
	}
	return out
}
