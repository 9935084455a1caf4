// Package shipping is the shipping service (bazaar.shipping.v1): quotes
// for a parcel from a zone and weight rate table in the base currency
// (USD; see quoteFor), exactly one shipment per confirmed order with a
// unique carrier tracking id, and tracking.
//
// Shipments are made by CreateShipment and by the order.confirmed
// consumer; both go through one operation keyed by the order id, which
// writes the shipment and its shipment.created event to the service's
// outbox in one transaction. Data lives in the service's own SQLite
// database.
package shipping

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
	"google.golang.org/grpc"
)

// Producer is the service's name on the event bus.
const Producer = "shipping"

// Config configures a Service.
type Config struct {
	// DSN names the database: "sqlite:/path/shipping.db" or a plain path.
	DSN string
	// Storage are extra options for opening the database (tracing).
	Storage []storage.Option
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Deps are the service's connections to the rest of the shop.
type Deps struct {
	// Bus carries events: the outbox relay publishes shipment.created on
	// it and the consumer reads order.confirmed from it. Nil runs neither
	// (events still collect in the outbox).
	Bus *events.Bus
	// Events traces, measures and logs the outbox.
	Events events.Telemetry
}

// Service is the shipping service: its database, outbox, consumer and
// gRPC handlers.
type Service struct {
	store   *store
	outbox  *events.Outbox
	bus     *events.Bus
	shipper *shipper
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
	st, err := openStore(ctx, cfg.DSN, cfg.Storage...)
	if err != nil {
		return nil, fmt.Errorf("new shipping service: %w", err)
	}
	ob := events.NewOutbox(st.db, Producer, deps.Events)
	sp := &shipper{store: st, outbox: ob, now: now, trackingID: randomTrackingID}
	return &Service{
		store:   st,
		outbox:  ob,
		bus:     deps.Bus,
		shipper: sp,
		handler: &handler{store: st, shipper: sp, notify: ob.Notify, logger: logger},
		logger:  logger,
	}, nil
}

// Register registers the ShippingService handlers on r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	shippingv1.RegisterShippingServiceServer(r, s.handler)
}

// Ready reports whether the service can serve: its database answers.
func (s *Service) Ready(ctx context.Context) error {
	return s.store.ping(ctx)
}

// Background relays the outbox and consumes order.confirmed until ctx
// ends; without a bus it returns at once.
func (s *Service) Background(ctx context.Context) {
	if s.bus == nil {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.outbox.Relay(ctx, s.bus); err != nil {
			s.logger.ErrorContext(ctx, "outbox relay stopped", "error", err)
		}
	})
	wg.Go(func() {
		if err := s.bus.Consume(ctx, s.store.db, ordersSubscription(), s.shipper.onOrderConfirmed); err != nil {
			s.logger.ErrorContext(ctx, "order.confirmed consumer stopped", "error", err)
		}
	})
	wg.Wait()
}

// Close closes the database. Stop serving and Background first.
func (s *Service) Close() error {
	return s.store.close()
}
