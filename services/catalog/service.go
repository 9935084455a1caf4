// Package catalog is the catalog service: the products the shop sells,
// their categories and images, and text search over them, served over
// gRPC as bazaar.catalog.v1.CatalogService. The catalog owns its data in
// its own SQL database, seeded on first start from the embedded product
// set.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	"github.com/bazaar-shop/bazaar/platform/storage"
	"github.com/bazaar-shop/bazaar/services/catalog/productimage"
	"github.com/bazaar-shop/bazaar/services/catalog/seed"
	"github.com/bazaar-shop/bazaar/services/catalog/store"
	"google.golang.org/grpc"
)

// Config is the catalog's configuration.
type Config struct {
	// DSN names the catalog database: "sqlite:/data/catalog/catalog.db"
	// or a plain SQLite file path.
	DSN string
	// Storage are extra options for opening the database (tracing).
	Storage []storage.Option
}

// Service is a running catalog: its store and its gRPC handlers.
type Service struct {
	store   *store.Store
	handler *handler
}

// New opens the catalog database named by cfg.DSN, brings its schema up to
// date and, when it holds no products yet, seeds it with the embedded
// product set and their images in one transaction. A nil logger discards.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Service, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DSN == "" {
		return nil, errors.New("new catalog: empty DSN")
	}
	data, err := seedData()
	if err != nil {
		return nil, fmt.Errorf("new catalog: %w", err)
	}
	st, err := store.Open(ctx, cfg.DSN, cfg.Storage...)
	if err != nil {
		return nil, fmt.Errorf("new catalog: %w", err)
	}
	seeded, err := st.Seed(ctx, data)
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("new catalog: %w", err)
	}
	if seeded {
		logger.InfoContext(ctx, "catalog seeded", "products", len(data.Products), "categories", len(data.Categories))
	}
	return &Service{store: st, handler: &handler{store: st, logger: logger}}, nil
}

// Register registers the catalog's gRPC service on r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	catalogv1.RegisterCatalogServiceServer(r, s.handler)
}

// Ready reports whether the catalog can serve: its database answers.
func (s *Service) Ready(ctx context.Context) error {
	return s.store.Ping(ctx)
}

// Close closes the catalog database. Stop serving first.
func (s *Service) Close() error {
	return s.store.Close()
}

// seedData returns the embedded product set with a rendered image per
// product.
func seedData() (store.SeedData, error) {
	data, err := seed.Load()
	if err != nil {
		return store.SeedData{}, err
	}
	categoryNames := make(map[string]string, len(data.Categories))
	for _, c := range data.Categories {
		categoryNames[c.ID] = c.Name
	}
	for _, p := range data.Products {
		svg := productimage.Render(productimage.Spec{
			ProductID:    p.ID,
			Name:         p.Name,
			CategoryID:   p.CategoryID,
			CategoryName: categoryNames[p.CategoryID],
		})
		data.Images = append(data.Images, store.Image{
			ProductID:   p.ID,
			ContentType: productimage.ContentType,
			Data:        svg,
			ETag:        productimage.ETag(svg),
		})
	}
	return data, nil
}
