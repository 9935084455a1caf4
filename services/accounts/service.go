// Package accounts is the accounts service: registered shoppers, their
// argon2id password hashes and their address books, served over gRPC as
// bazaar.accounts.v1.AccountsService. Registering publishes
// user.registered through a transactional outbox in the service's own
// SQL database.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	accountsv1 "github.com/bazaar-shop/bazaar/api/bazaar/accounts/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
	"github.com/bazaar-shop/bazaar/services/accounts/password"
	"github.com/bazaar-shop/bazaar/services/accounts/store"
	"google.golang.org/grpc"
)

// Config is the accounts service's configuration.
type Config struct {
	// DSN names the database: "sqlite:/data/accounts/accounts.db" or a
	// plain SQLite file path.
	DSN string
	// Storage are extra options for opening the database (tracing).
	Storage []storage.Option
	// Password sets the cost of new password hashes; zero means
	// password.DefaultParams.
	Password password.Params
	// HashConcurrency is the most password hashes computed at once; 0
	// means GOMAXPROCS.
	HashConcurrency int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Deps are the accounts service's connections to the rest of Bazaar.
type Deps struct {
	// Bus carries the outbox's events to NATS. Nil leaves them in the
	// outbox (tests).
	Bus *events.Bus
	// Events traces, measures and logs the outbox relay.
	Events events.Telemetry
}

// Service is a running accounts service.
type Service struct {
	store   *store.Store
	outbox  *events.Outbox
	bus     *events.Bus
	handler *handler
	logger  *slog.Logger
}

// New opens the accounts database named by cfg.DSN and brings its schema,
// events tables included, up to date. A nil logger discards.
func New(ctx context.Context, cfg Config, deps Deps, logger *slog.Logger) (*Service, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DSN == "" {
		return nil, errors.New("new accounts service: empty DSN")
	}
	if cfg.Password == (password.Params{}) {
		cfg.Password = password.DefaultParams()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hasher, err := password.NewHasher(cfg.Password, cfg.HashConcurrency)
	if err != nil {
		return nil, fmt.Errorf("new accounts service: %w", err)
	}
	st, err := store.Open(ctx, cfg.DSN, cfg.Storage...)
	if err != nil {
		return nil, fmt.Errorf("new accounts service: %w", err)
	}
	if err := events.Migrate(ctx, st.DB()); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("new accounts service: %w", err)
	}
	outbox := events.NewOutbox(st.DB(), "accounts", deps.Events)
	return &Service{
		store:   st,
		outbox:  outbox,
		bus:     deps.Bus,
		handler: &handler{store: st, hasher: hasher, outbox: outbox, now: cfg.Now, logger: logger},
		logger:  logger,
	}, nil
}

// Register registers the AccountsService handlers on r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	accountsv1.RegisterAccountsServiceServer(r, s.handler)
}

// Ready reports whether the service can serve: its database answers.
func (s *Service) Ready(ctx context.Context) error {
	return s.store.Ping(ctx)
}

// Background relays the outbox's events to the bus until ctx ends.
func (s *Service) Background(ctx context.Context) {
	if s.bus == nil {
		s.logger.WarnContext(ctx, "no event bus: user.registered events stay in the outbox")
		return
	}
	if err := s.outbox.Relay(ctx, s.bus); err != nil && ctx.Err() == nil {
		s.logger.ErrorContext(ctx, "outbox relay stopped", "error", err)
	}
}

// Close closes the database. Stop serving and Background first.
func (s *Service) Close() error {
	return s.store.Close()
}
