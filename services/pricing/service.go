// Package pricing is the pricing service: the currencies the shop sells
// in, their exchange rates against the base currency (USD), and exact
// conversion of amounts between them (bazaar.pricing.v1.PricingService).
//
// Rates live in the service's own SQLite database as exact decimal
// strings; a new database is seeded with a set of real-world rates and
// later starts keep whatever rates were set since. The service keeps the
// rates in memory too: a rate set through this instance applies from the
// next call on, one set through another replica sharing the database
// within ratesMaxAge (1 s). Conversion multiplies by rate_to / rate_from
// exactly and rounds half-to-even once, at the end, to the target
// currency's minor unit.
package pricing

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	"github.com/bazaar-shop/bazaar/platform/storage"
	"google.golang.org/grpc"
)

// Config configures a Service.
type Config struct {
	// DSN names the database: "sqlite:/path/pricing.db" or a plain path.
	DSN string
	// Storage are extra options for opening the database (tracing).
	Storage []storage.Option
	// Now returns the current time, stamped on rates set through SetRate;
	// nil means time.Now.
	Now func() time.Time
}

// Service is the pricing service: its database and gRPC handlers.
type Service struct {
	store   *store
	handler *handler
}

// New opens the database at cfg.DSN, migrating it, and seeds the
// currencies when it is empty. A nil logger discards logs.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Service, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	st, err := openStore(ctx, cfg.DSN, cfg.Storage...)
	if err != nil {
		return nil, fmt.Errorf("new pricing service: %w", err)
	}
	seeded, err := st.seed(ctx, seedCurrencies(), seedBase, seedRateTime())
	if err != nil {
		_ = st.close()
		return nil, fmt.Errorf("new pricing service: %w", err)
	}
	if seeded {
		logger.InfoContext(ctx, "seeded currencies", "count", len(seedCurrencies()), "base", seedBase)
	}
	return &Service{
		store:   st,
		handler: &handler{store: st, now: now, logger: logger},
	}, nil
}

// Register registers the PricingService handlers on r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	pricingv1.RegisterPricingServiceServer(r, s.handler)
}

// Ready reports whether the service can serve: its database answers.
func (s *Service) Ready(ctx context.Context) error {
	return s.store.ping(ctx)
}

// Close closes the database. Stop serving first.
func (s *Service) Close() error {
	return s.store.close()
}
