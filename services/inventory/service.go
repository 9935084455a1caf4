// Package inventory is the inventory service: stock per product and the
// reservations orders hold on it, served over gRPC as
// bazaar.inventory.v1.InventoryService.
//
// Stock lives in the service's own SQL database, loaded on first start from
// an embedded seed that covers every catalog product. Every mutation runs
// in one transaction (SQLite transactions take the write lock when they
// begin, so replicas sharing a database serialize) and keeps
// on_hand + reserved + sold = loaded for every product. Reserve, Release
// and Commit are idempotent per order id, so the order saga may repeat any
// step. Events (stock.reserved, stock.rejected, stock.low) are written to
// the outbox in the same transaction and relayed to NATS JetStream.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// DefaultLowStockThreshold is the on_hand level below which stock.low is
// sent when Config sets none.
const DefaultLowStockThreshold = 5

// Config is the inventory's configuration.
type Config struct {
	// DSN names the database: "sqlite:/data/inventory/inventory.db" or a
	// plain SQLite file path.
	DSN string
	// Storage are extra options for opening the database (tracing).
	Storage []storage.Option
	// LowStockThreshold is the on_hand level below which stock.low is
	// sent, once per crossing; 0 means DefaultLowStockThreshold.
	LowStockThreshold int64
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Deps are what the service uses from outside.
type Deps struct {
	// Bus is where the outbox relay publishes; nil runs no relay (events
	// stay in the outbox), as in tests.
	Bus *events.Bus
	// Events traces, measures and logs the outbox.
	Events events.Telemetry
}

// Service is a running inventory: its database, outbox and handlers.
type Service struct {
	db      *storage.DB
	outbox  *events.Outbox
	bus     *events.Bus
	handler *handler
}

// New opens the database named by cfg.DSN, brings its schema (and the
// events tables) up to date and, when it holds no stock yet, loads the
// embedded seed. A nil logger discards logs.
func New(ctx context.Context, cfg Config, deps Deps, logger *slog.Logger) (*Service, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DSN == "" {
		return nil, errors.New("new inventory: empty DSN")
	}
	if cfg.LowStockThreshold < 0 {
		return nil, fmt.Errorf("new inventory: negative low-stock threshold %d", cfg.LowStockThreshold)
	}
	if cfg.LowStockThreshold == 0 {
		cfg.LowStockThreshold = DefaultLowStockThreshold
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	seeds, err := loadSeed()
	if err != nil {
		return nil, fmt.Errorf("new inventory: %w", err)
	}
	db, err := openDB(ctx, cfg.DSN, cfg.Storage...)
	if err != nil {
		return nil, fmt.Errorf("new inventory: %w", err)
	}
	outbox := events.NewOutbox(db, "inventory", deps.Events)
	st := &store{db: db, events: outbox, lowThreshold: cfg.LowStockThreshold, now: cfg.Now}
	seeded, err := st.seed(ctx, seeds)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("new inventory: %w", err)
	}
	if seeded {
		logger.InfoContext(ctx, "stock loaded", "products", len(seeds))
	}
	return &Service{db: db, outbox: outbox, bus: deps.Bus, handler: &handler{store: st, logger: logger}}, nil
}

// Register registers the InventoryService handlers on r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	inventoryv1.RegisterInventoryServiceServer(r, s.handler)
}

// Ready reports whether the inventory can serve: its database answers.
func (s *Service) Ready(ctx context.Context) error {
	return s.db.Ping(ctx)
}

// Background relays the outbox to the bus until ctx ends; without a bus
// it returns at once.
func (s *Service) Background(ctx context.Context) {
	if s.bus == nil {
		return
	}
	_ = s.outbox.Relay(ctx, s.bus)
}

// Close closes the database. Stop serving and Background first.
func (s *Service) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close inventory: %w", err)
	}
	return nil
}
