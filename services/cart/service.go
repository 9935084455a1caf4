// Package cart is the cart service: one cart per shopper (a guest session
// or a user), its lines and limits, served over gRPC as
// bazaar.cart.v1.CartService from the service's own SQL database. Adding a
// product checks it with the catalog when the catalog answers; a cart is
// emptied when its order is placed (the service consumes order.placed).
package cart

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
	"github.com/bazaar-shop/bazaar/services/cart/store"
	"google.golang.org/grpc"
)

// Defaults of Config.
const (
	// DefaultCatalogTimeout bounds the catalog check of AddItem.
	DefaultCatalogTimeout = time.Second
	// DefaultKeyRetention is how long AddItem idempotency keys are kept.
	DefaultKeyRetention = 7 * 24 * time.Hour
	// pruneEvery is how often Background forgets expired keys.
	pruneEvery = time.Hour
)

// Config is the cart service's configuration.
type Config struct {
	// DSN names the database: "sqlite:/data/cart/cart.db" or a plain
	// SQLite file path.
	DSN string
	// Storage are extra options for opening the database (tracing).
	Storage []storage.Option
	// CatalogTimeout bounds the catalog check of AddItem; past it the line
	// is accepted unchecked. 0 means DefaultCatalogTimeout.
	CatalogTimeout time.Duration
	// KeyRetention is how long AddItem idempotency keys are remembered; 0
	// means DefaultKeyRetention.
	KeyRetention time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Deps are the cart service's connections to the rest of Bazaar.
type Deps struct {
	// Catalog checks that added products exist. Required.
	Catalog catalogv1.CatalogServiceClient
	// Bus delivers order.placed. Nil consumes nothing (tests).
	Bus *events.Bus
}

// Service is a running cart service.
type Service struct {
	store        *store.Store
	bus          *events.Bus
	handler      *handler
	now          func() time.Time
	keyRetention time.Duration
	logger       *slog.Logger
}

// New opens the cart database named by cfg.DSN and brings its schema,
// events tables included, up to date. A nil logger discards.
func New(ctx context.Context, cfg Config, deps Deps, logger *slog.Logger) (*Service, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.DSN == "":
		return nil, errors.New("new cart service: empty DSN")
	case deps.Catalog == nil:
		return nil, errors.New("new cart service: no catalog client")
	case cfg.CatalogTimeout < 0, cfg.KeyRetention < 0:
		return nil, errors.New("new cart service: negative catalog timeout or key retention")
	}
	if cfg.CatalogTimeout == 0 {
		cfg.CatalogTimeout = DefaultCatalogTimeout
	}
	if cfg.KeyRetention == 0 {
		cfg.KeyRetention = DefaultKeyRetention
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	st, err := store.Open(ctx, cfg.DSN, cfg.Storage...)
	if err != nil {
		return nil, fmt.Errorf("new cart service: %w", err)
	}
	if err := events.Migrate(ctx, st.DB()); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("new cart service: %w", err)
	}
	return &Service{
		store:        st,
		bus:          deps.Bus,
		now:          cfg.Now,
		keyRetention: cfg.KeyRetention,
		logger:       logger,
		handler: &handler{
			store: st, catalog: deps.Catalog, catalogTimeout: cfg.CatalogTimeout, now: cfg.Now, logger: logger,
		},
	}, nil
}

// Register registers the CartService handlers on r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	cartv1.RegisterCartServiceServer(r, s.handler)
}

// Ready reports whether the service can serve: its database answers.
func (s *Service) Ready(ctx context.Context) error {
	return s.store.Ping(ctx)
}

// Background consumes order.placed and forgets expired idempotency keys,
// until ctx ends.
func (s *Service) Background(ctx context.Context) {
	var wg sync.WaitGroup
	if s.bus == nil {
		s.logger.WarnContext(ctx, "no event bus: order.placed is not consumed, carts are not emptied after checkout")
	} else {
		wg.Go(func() {
			if err := s.bus.Consume(ctx, s.store.DB(), OrderPlacedSubscription(), s.onOrderPlaced); err != nil && ctx.Err() == nil {
				s.logger.ErrorContext(ctx, "order.placed consumer stopped", "error", err)
			}
		})
	}
	wg.Go(func() { s.pruneKeys(ctx) })
	wg.Wait()
}

// pruneKeys forgets idempotency keys older than the retention, now and
// then every pruneEvery, until ctx ends.
func (s *Service) pruneKeys(ctx context.Context) {
	tick := time.NewTicker(pruneEvery)
	defer tick.Stop()
	for {
		n, err := s.store.PruneKeys(ctx, s.now().Add(-s.keyRetention))
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger.WarnContext(ctx, "pruning idempotency keys failed", "error", err)
		case n > 0:
			s.logger.InfoContext(ctx, "pruned idempotency keys", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Close closes the database. Stop serving and Background first.
func (s *Service) Close() error {
	return s.store.Close()
}
