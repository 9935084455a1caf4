package notifications

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// handler implements notificationsv1.NotificationsServiceServer; it is
// the one place that chooses gRPC status codes.
type handler struct {
	notificationsv1.UnimplementedNotificationsServiceServer
	store  *store
	logger *slog.Logger
}

// ListMessages pages through the mailbox, newest first.
func (h *handler) ListMessages(ctx context.Context, req *notificationsv1.ListMessagesRequest) (*notificationsv1.ListMessagesResponse, error) {
	to := strings.ToLower(strings.TrimSpace(req.GetTo()))
	if len(to) > maxEmailBytes {
		return nil, h.fail(ctx, "list messages", invalidf("to is longer than %d bytes", maxEmailBytes))
	}
	if len(req.GetOrderId()) > maxOrderIDBytes {
		return nil, h.fail(ctx, "list messages", invalidf("order_id is longer than %d bytes", maxOrderIDBytes))
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, h.fail(ctx, "list messages", err)
	}
	before, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, h.fail(ctx, "list messages", err)
	}
	// One more than asked tells whether a next page exists.
	ms, err := h.store.list(ctx, filter{To: to, OrderID: req.GetOrderId(), BeforeSeq: before}, size+1)
	if err != nil {
		return nil, h.fail(ctx, "list messages", err)
	}
	resp := &notificationsv1.ListMessagesResponse{}
	if len(ms) > size {
		ms = ms[:size]
		resp.NextPageToken = encodePageToken(ms[size-1].Seq)
	}
	for _, m := range ms {
		resp.Messages = append(resp.Messages, messageProto(m))
	}
	return resp, nil
}

// GetMessage returns one message.
func (h *handler) GetMessage(ctx context.Context, req *notificationsv1.GetMessageRequest) (*notificationsv1.GetMessageResponse, error) {
	id := req.GetId()
	if id == "" {
		return nil, h.fail(ctx, "get message", invalidf("id is required"))
	}
	if len(id) > maxIDBytes {
		return nil, h.fail(ctx, "get message", invalidf("id is longer than %d bytes", maxIDBytes))
	}
	m, err := h.store.get(ctx, id)
	if err != nil {
		return nil, h.fail(ctx, "get message", err)
	}
	return &notificationsv1.GetMessageResponse{Message: messageProto(m)}, nil
}

// fail turns an error into a status: bad input InvalidArgument, a missing
// message NotFound, the caller's own cancellation as such, anything else
// logged and reported as Internal without details.
func (h *handler) fail(ctx context.Context, op string, err error) error {
	switch {
	case errors.Is(err, errInvalid):
		return status.Error(codes.InvalidArgument, strings.TrimPrefix(err.Error(), errInvalid.Error()+": "))
	case errors.Is(err, errNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	h.logger.ErrorContext(ctx, op+" failed", "error", err)
	return status.Errorf(codes.Internal, "%s failed", op)
}

// messageProto is m on the wire.
func messageProto(m message) *notificationsv1.Message {
	return &notificationsv1.Message{
		Id: m.ID, To: m.To, Subject: m.Subject, Body: m.Body, Kind: m.Kind, OrderId: m.OrderID,
		CreateTime: timestamppb.New(m.CreateTime),
	}
}
