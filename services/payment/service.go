// Package payment is the payment service: a simulated card processor that
// never charges an order twice, served over gRPC as
// bazaar.payment.v1.PaymentService.
//
// Cards are checked as a processor would (Luhn check digit, expiry, CVV):
// a malformed card is InvalidArgument, a well-formed card the simulated
// issuer refuses is a DECLINED or INSUFFICIENT_FUNDS charge. The test cards
// are those of the contract; 4000 0000 0000 0119 answers UNAVAILABLE for
// the first two attempts of each order and succeeds on the third.
//
// Charges, refunds and a ledger of the money that moved live in the
// service's own SQL database; the only card data kept is the last four
// digits and the brand. Every change runs in one transaction with its event
// (payment.succeeded, payment.failed, payment.refunded) in the outbox, and
// the database refuses a second successful charge for an order.
package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"

	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// Config is the payment service's configuration.
type Config struct {
	// DSN names the database: "sqlite:/data/payment/payment.db" or a
	// plain SQLite file path.
	DSN string
	// Storage are extra options for opening the database (tracing).
	Storage []storage.Option
	// Now returns the current time (card expiry, timestamps); nil means
	// time.Now.
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

// Service is a running payment service: its database, outbox and
// handlers.
type Service struct {
	db      *storage.DB
	outbox  *events.Outbox
	bus     *events.Bus
	handler *handler
}

// New opens the database named by cfg.DSN and brings its schema (and the
// events tables) up to date. A nil logger discards logs.
func New(ctx context.Context, cfg Config, deps Deps, logger *slog.Logger) (*Service, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DSN == "" {
		return nil, errors.New("new payment: empty DSN")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	db, err := openDB(ctx, cfg.DSN, cfg.Storage...)
	if err != nil {
		return nil, fmt.Errorf("new payment: %w", err)
	}
	outbox := events.NewOutbox(db, "payment", deps.Events)
	st := &store{db: db, events: outbox, now: cfg.Now, newID: uuid.NewString}
	return &Service{db: db, outbox: outbox, bus: deps.Bus, handler: &handler{store: st, now: cfg.Now, logger: logger}}, nil
}

// Register registers the PaymentService handlers on r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	paymentv1.RegisterPaymentServiceServer(r, s.handler)
}

// Ready reports whether the service can serve: its database answers.
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
		return fmt.Errorf("close payment: %w", err)
	}
	return nil
}
