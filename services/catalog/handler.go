package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	"github.com/bazaar-shop/bazaar/services/catalog/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// handler serves catalogv1.CatalogService from the store. It validates
// every request and is the one place where errors become gRPC statuses.
type handler struct {
	catalogv1.UnimplementedCatalogServiceServer
	store  *store.Store
	logger *slog.Logger
}

// ListProducts pages through products, optionally of one category.
func (h *handler) ListProducts(ctx context.Context, req *catalogv1.ListProductsRequest) (*catalogv1.ListProductsResponse, error) {
	if err := checkOptionalID("category_id", req.GetCategoryId()); err != nil {
		return nil, invalid(err)
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, invalid(err)
	}
	offset, err := decodePageToken(req.GetPageToken(), req.GetCategoryId())
	if err != nil {
		return nil, invalid(err)
	}
	page, err := h.store.ListProducts(ctx, store.ListParams{CategoryID: req.GetCategoryId(), Offset: offset, Limit: size})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	resp := &catalogv1.ListProductsResponse{
		Products:  toProtoProducts(page.Products),
		TotalSize: int32(page.Total),
	}
	if next := offset + len(page.Products); len(page.Products) > 0 && next < page.Total {
		resp.NextPageToken = encodePageToken(next, req.GetCategoryId())
	}
	return resp, nil
}

// GetProduct returns one product.
func (h *handler) GetProduct(ctx context.Context, req *catalogv1.GetProductRequest) (*catalogv1.GetProductResponse, error) {
	if err := checkID("id", req.GetId()); err != nil {
		return nil, invalid(err)
	}
	p, err := h.store.GetProduct(ctx, req.GetId())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &catalogv1.GetProductResponse{Product: toProtoProduct(p)}, nil
}

// BatchGetProducts returns several products in the order asked, listing
// the ids that name none. A repeated id is answered once.
func (h *handler) BatchGetProducts(ctx context.Context, req *catalogv1.BatchGetProductsRequest) (*catalogv1.BatchGetProductsResponse, error) {
	if n := len(req.GetIds()); n > MaxBatchIDs {
		return nil, invalid(fmt.Errorf("ids names %d products, at most %d are allowed", n, MaxBatchIDs))
	}
	for i, id := range req.GetIds() {
		if err := checkID(fmt.Sprintf("ids[%d]", i), id); err != nil {
			return nil, invalid(err)
		}
	}
	found, missing, err := h.store.BatchGetProducts(ctx, req.GetIds())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &catalogv1.BatchGetProductsResponse{Products: toProtoProducts(found), MissingIds: missing}, nil
}

// SearchProducts finds the products matching every word of the query.
func (h *handler) SearchProducts(ctx context.Context, req *catalogv1.SearchProductsRequest) (*catalogv1.SearchProductsResponse, error) {
	if n := len(req.GetQuery()); n > MaxQueryBytes {
		return nil, invalid(fmt.Errorf("query is %d bytes long, at most %d are allowed", n, MaxQueryBytes))
	}
	if err := checkOptionalID("category_id", req.GetCategoryId()); err != nil {
		return nil, invalid(err)
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, invalid(err)
	}
	products, err := h.store.Search(ctx, store.SearchParams{Query: req.GetQuery(), CategoryID: req.GetCategoryId(), Limit: size})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &catalogv1.SearchProductsResponse{Products: toProtoProducts(products)}, nil
}

// ListCategories returns every category in display order.
func (h *handler) ListCategories(ctx context.Context, _ *catalogv1.ListCategoriesRequest) (*catalogv1.ListCategoriesResponse, error) {
	categories, err := h.store.ListCategories(ctx)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	resp := &catalogv1.ListCategoriesResponse{}
	for _, c := range categories {
		resp.Categories = append(resp.Categories, &catalogv1.Category{Id: c.ID, Name: c.Name, Description: c.Description})
	}
	return resp, nil
}

// GetProductImage returns a product's picture.
func (h *handler) GetProductImage(ctx context.Context, req *catalogv1.GetProductImageRequest) (*catalogv1.GetProductImageResponse, error) {
	if err := checkID("product_id", req.GetProductId()); err != nil {
		return nil, invalid(err)
	}
	img, err := h.store.ProductImage(ctx, req.GetProductId())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &catalogv1.GetProductImageResponse{ContentType: img.ContentType, Data: img.Data, Etag: img.ETag}, nil
}

// invalid is the status of a request that failed validation.
func invalid(err error) error {
	return status.Error(codes.InvalidArgument, err.Error())
}

// fail turns a store error into a status: NotFound for a missing record,
// the context's own code when the caller gave up, and Internal (logged,
// details withheld from the caller) for anything else.
func (h *handler) fail(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	h.logger.ErrorContext(ctx, "catalog request failed", "error", err)
	return status.Error(codes.Internal, "internal error")
}
