// Package recommendations is the recommendations service
// (bazaar.recommendations.v1): products often bought together, learnt
// from confirmed orders. It consumes order.confirmed and counts, once per
// order, how many orders held each product and each pair of products;
// ListRecommendations ranks by those counts, tops up with the most bought
// products, and, while no order has been counted at all, with products
// from the catalog.
package recommendations

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
	"google.golang.org/grpc"
)

// DefaultCatalogTimeout bounds the catalog call of a Config that sets no
// CatalogTimeout.
const DefaultCatalogTimeout = 500 * time.Millisecond

// Config configures a Service.
type Config struct {
	// DSN names the database: "sqlite:/path/recommendations.db" or a plain
	// path.
	DSN string
	// Storage are extra options for opening the database (tracing).
	Storage []storage.Option
	// CatalogTimeout bounds the catalog call that fills in for missing
	// purchase data; 0 means DefaultCatalogTimeout.
	CatalogTimeout time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Deps are the service's connections to the rest of the shop.
type Deps struct {
	// Catalog lists products when there is no purchase data yet; nil
	// leaves such answers empty.
	Catalog catalogv1.CatalogServiceClient
	// Bus carries order.confirmed; nil consumes nothing.
	Bus *events.Bus
}

// Service is the recommendations service: its counts, consumer and gRPC
// handlers.
type Service struct {
	store   *store
	bus     *events.Bus
	counter *counter
	handler *handler
	logger  *slog.Logger
}

// New opens the database at cfg.DSN, migrating it. A nil logger discards
// logs.
func New(ctx context.Context, cfg Config, deps Deps, logger *slog.Logger) (*Service, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	timeout := cfg.CatalogTimeout
	if timeout <= 0 {
		timeout = DefaultCatalogTimeout
	}
	st, err := openStore(ctx, cfg.DSN, cfg.Storage...)
	if err != nil {
		return nil, fmt.Errorf("new recommendations service: %w", err)
	}
	rec := &recommender{store: st, catalog: deps.Catalog, catalogTimeout: timeout, logger: logger}
	return &Service{
		store:   st,
		bus:     deps.Bus,
		counter: &counter{store: st, now: now},
		handler: &handler{recommender: rec, logger: logger},
		logger:  logger,
	}, nil
}

// Register registers the RecommendationsService handlers on r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	recommendationsv1.RegisterRecommendationsServiceServer(r, s.handler)
}

// Ready reports whether the service can serve: its database answers. The
// catalog is not checked: recommendations serve without it.
func (s *Service) Ready(ctx context.Context) error {
	return s.store.ping(ctx)
}

// Background consumes order.confirmed until ctx ends; without a bus it
// returns at once.
func (s *Service) Background(ctx context.Context) {
	if s.bus == nil {
		return
	}
	if err := s.bus.Consume(ctx, s.store.db, ordersSubscription(), s.counter.onOrderConfirmed); err != nil {
		s.logger.ErrorContext(ctx, "order.confirmed consumer stopped", "error", err)
	}
}

// Close closes the database. Stop serving and Background first.
func (s *Service) Close() error {
	return s.store.close()
}
