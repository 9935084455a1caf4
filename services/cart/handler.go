package cart

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	"github.com/bazaar-shop/bazaar/services/cart/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errUnknownProduct: the catalog says the product does not exist.
var errUnknownProduct = errors.New("unknown product")

// handler serves cartv1.CartService. It validates every request and is the
// one place where errors become gRPC statuses.
type handler struct {
	cartv1.UnimplementedCartServiceServer
	store          *store.Store
	catalog        catalogv1.CatalogServiceClient
	catalogTimeout time.Duration
	now            func() time.Time
	logger         *slog.Logger
}

// GetCart returns a shopper's cart, empty when there is none.
func (h *handler) GetCart(ctx context.Context, req *cartv1.GetCartRequest) (*cartv1.GetCartResponse, error) {
	if err := checkShopperID("shopper_id", req.GetShopperId()); err != nil {
		return nil, invalid(err)
	}
	c, err := h.store.Get(ctx, req.GetShopperId())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &cartv1.GetCartResponse{Cart: toProtoCart(c)}, nil
}

// AddItem adds units of a product that the catalog knows (or that it could
// not check) to a cart, once per idempotency key.
func (h *handler) AddItem(ctx context.Context, req *cartv1.AddItemRequest) (*cartv1.AddItemResponse, error) {
	shopper, product := req.GetShopperId(), req.GetProductId()
	if err := checkShopperID("shopper_id", shopper); err != nil {
		return nil, invalid(err)
	}
	if err := checkProductID(product); err != nil {
		return nil, invalid(err)
	}
	if err := checkQuantity(req.GetQuantity(), 1); err != nil {
		return nil, invalid(err)
	}
	if err := checkToken("idempotency_key", req.GetIdempotencyKey(), MaxKeyBytes); err != nil {
		return nil, invalid(err)
	}
	// A retry needs no catalog call: answer with the cart as it is.
	done, err := h.store.KeyApplied(ctx, shopper, req.GetIdempotencyKey())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if !done {
		if err := h.checkProduct(ctx, product); err != nil {
			return nil, h.fail(ctx, err)
		}
	}
	c, _, err := h.store.Add(ctx, store.Addition{
		ShopperID: shopper, ProductID: product, Quantity: req.GetQuantity(), Key: req.GetIdempotencyKey(), Now: h.now(),
	})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &cartv1.AddItemResponse{Cart: toProtoCart(c)}, nil
}

// checkProduct asks the catalog whether the product exists. Only a
// definite "no" fails (errUnknownProduct); when the catalog is down or
// slow the line is accepted, since orders re-checks and re-prices every
// line at checkout.
func (h *handler) checkProduct(ctx context.Context, productID string) error {
	cctx, cancel := context.WithTimeout(ctx, h.catalogTimeout)
	defer cancel()
	_, err := h.catalog.GetProduct(cctx, &catalogv1.GetProductRequest{Id: productID})
	switch status.Code(err) {
	case codes.OK:
		return nil
	case codes.NotFound, codes.InvalidArgument:
		return fmt.Errorf("%w %q", errUnknownProduct, productID)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("check product %s: %w", productID, ctx.Err())
	}
	h.logger.WarnContext(ctx, "catalog unavailable, accepting cart line unchecked", "product_id", productID, "error", err)
	return nil
}

// SetItemQuantity sets one line of a cart; 0 removes it.
func (h *handler) SetItemQuantity(ctx context.Context, req *cartv1.SetItemQuantityRequest) (*cartv1.SetItemQuantityResponse, error) {
	if err := checkShopperID("shopper_id", req.GetShopperId()); err != nil {
		return nil, invalid(err)
	}
	if err := checkProductID(req.GetProductId()); err != nil {
		return nil, invalid(err)
	}
	if err := checkQuantity(req.GetQuantity(), 0); err != nil {
		return nil, invalid(err)
	}
	c, err := h.store.SetQuantity(ctx, req.GetShopperId(), req.GetProductId(), req.GetQuantity(), h.now())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &cartv1.SetItemQuantityResponse{Cart: toProtoCart(c)}, nil
}

// RemoveItem removes one line of a cart, if it is there.
func (h *handler) RemoveItem(ctx context.Context, req *cartv1.RemoveItemRequest) (*cartv1.RemoveItemResponse, error) {
	if err := checkShopperID("shopper_id", req.GetShopperId()); err != nil {
		return nil, invalid(err)
	}
	if err := checkProductID(req.GetProductId()); err != nil {
		return nil, invalid(err)
	}
	c, err := h.store.Remove(ctx, req.GetShopperId(), req.GetProductId(), h.now())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &cartv1.RemoveItemResponse{Cart: toProtoCart(c)}, nil
}

// EmptyCart removes every line of a cart.
func (h *handler) EmptyCart(ctx context.Context, req *cartv1.EmptyCartRequest) (*cartv1.EmptyCartResponse, error) {
	if err := checkShopperID("shopper_id", req.GetShopperId()); err != nil {
		return nil, invalid(err)
	}
	if err := h.store.Empty(ctx, req.GetShopperId(), h.now()); err != nil {
		return nil, h.fail(ctx, err)
	}
	return &cartv1.EmptyCartResponse{}, nil
}

// RemoveOrderedItems takes what an order bought out of a cart, once per
// order.
func (h *handler) RemoveOrderedItems(ctx context.Context, req *cartv1.RemoveOrderedItemsRequest) (*cartv1.RemoveOrderedItemsResponse, error) {
	if err := checkShopperID("shopper_id", req.GetShopperId()); err != nil {
		return nil, invalid(err)
	}
	if err := checkToken("order_id", req.GetOrderId(), MaxOrderIDBytes); err != nil {
		return nil, invalid(err)
	}
	if len(req.GetItems()) > store.MaxLines {
		return nil, invalid(fmt.Errorf("items: at most %d lines", store.MaxLines))
	}
	items := make([]store.Ordered, 0, len(req.GetItems()))
	for _, it := range req.GetItems() {
		if err := checkProductID(it.GetProductId()); err != nil {
			return nil, invalid(err)
		}
		if err := checkQuantity(it.GetQuantity(), 1); err != nil {
			return nil, invalid(err)
		}
		items = append(items, store.Ordered{ProductID: it.GetProductId(), Quantity: it.GetQuantity()})
	}
	c, err := h.store.RemoveOrdered(ctx, req.GetShopperId(), req.GetOrderId(), items, h.now())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &cartv1.RemoveOrderedItemsResponse{Cart: toProtoCart(c)}, nil
}

// MergeCarts moves a guest's cart into a user's.
func (h *handler) MergeCarts(ctx context.Context, req *cartv1.MergeCartsRequest) (*cartv1.MergeCartsResponse, error) {
	from, to := req.GetFromShopperId(), req.GetToShopperId()
	if err := checkShopperID("from_shopper_id", from); err != nil {
		return nil, invalid(err)
	}
	if err := checkShopperID("to_shopper_id", to); err != nil {
		return nil, invalid(err)
	}
	if from == to {
		return nil, invalid(errors.New("from_shopper_id and to_shopper_id must differ"))
	}
	c, dropped, err := h.store.Merge(ctx, from, to, h.now())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if dropped > 0 {
		h.logger.InfoContext(ctx, "merged cart was full, lines dropped", "to_shopper_id", to, "dropped", dropped)
	}
	return &cartv1.MergeCartsResponse{Cart: toProtoCart(c)}, nil
}

// invalid is the status of a request that failed validation.
func invalid(err error) error {
	return status.Error(codes.InvalidArgument, err.Error())
}

// fail turns an error into a status: the cart's limits are
// FailedPrecondition, an unknown product NotFound, the context's end its
// own code, and anything else Internal (logged, details withheld).
func (h *handler) fail(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, errUnknownProduct):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, store.ErrLineFull):
		return status.Errorf(codes.FailedPrecondition, "a cart holds at most %d of one product", store.MaxQuantity)
	case errors.Is(err, store.ErrCartFull):
		return status.Errorf(codes.FailedPrecondition, "a cart holds at most %d different products", store.MaxLines)
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	h.logger.ErrorContext(ctx, "cart request failed", "error", err)
	return status.Error(codes.Internal, "internal error")
}
