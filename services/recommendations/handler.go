package recommendations

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// handler implements recommendationsv1.RecommendationsServiceServer; it
// is the one place that chooses gRPC status codes.
type handler struct {
	recommendationsv1.UnimplementedRecommendationsServiceServer
	recommender *recommender
	logger      *slog.Logger
}

// ListRecommendations suggests products to go with the given ones.
func (h *handler) ListRecommendations(ctx context.Context, req *recommendationsv1.ListRecommendationsRequest) (*recommendationsv1.ListRecommendationsResponse, error) {
	given, err := checkProductIDs(req.GetProductIds())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	limit, err := checkLimit(req.GetLimit())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	recs, err := h.recommender.recommend(ctx, given, limit)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	resp := &recommendationsv1.ListRecommendationsResponse{Recommendations: make([]*recommendationsv1.Recommendation, 0, len(recs))}
	for _, r := range recs {
		resp.Recommendations = append(resp.Recommendations, &recommendationsv1.Recommendation{ProductId: r.ProductID, Score: r.Score})
	}
	return resp, nil
}

// fail turns an error into a status: bad input InvalidArgument, the
// caller's own cancellation as such, anything else logged and reported
// as Internal without details.
func (h *handler) fail(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, errInvalid):
		return status.Error(codes.InvalidArgument, strings.TrimPrefix(err.Error(), errInvalid.Error()+": "))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	h.logger.ErrorContext(ctx, "list recommendations failed", "error", err)
	return status.Error(codes.Internal, "list recommendations failed")
}
