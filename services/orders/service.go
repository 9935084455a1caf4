// Package orders is the orders service (bazaar.orders.v1.OrdersService):
// it accepts orders and carries each one, through a persisted saga, to
// CONFIRMED or CANCELLED.
//
// PlaceOrder prices the order (catalog, shipping, pricing) and then, in
// one SQLite transaction (synchronous=FULL: "accepted" means on disk),
// stores the order PENDING, its items, its saga at the reserve step, the
// card (in its own table, deleted once the charge has a final answer) and
// an order.placed outbox event. The saga runner (Background) then takes
// each due order, step by step, persisting every step before the next:
//
//	reserve    inventory.Reserve  RESERVED -> charge; REJECTED -> CANCELLED
//	charge     payment.Charge     SUCCEEDED -> commit; declined -> compensate
//	commit     inventory.Commit   -> CONFIRMED + order.confirmed
//	compensate inventory.Release (+ payment.Refund after a charge)
//	                              -> CANCELLED + order.cancelled
//
// Every step is idempotent at the callee (keyed by the order id; the
// charge's idempotency key is derived from it), so a step interrupted by a
// crash is simply run again; a dependency that is down delays the order
// with capped exponential backoff (MaxBackoff, 5s), it never fails it.
// Runners claim orders with a lease (locked_until), so replicas sharing a
// database do not work on one order at once; a runner that stops gives its
// leases back, one that is killed leaves them to run out (Lease, 10s).
//
// Degradations at checkout, by dependency:
//
//	catalog down or slow   UNAVAILABLE "checkout is unavailable, try again"; nothing written
//	shipping down or slow  the flat rate (Config.FlatShipping, in the base currency)
//	pricing down or slow   the order is priced and charged in the base currency;
//	                       its amounts' currency_code shows it
//	inventory, payment     the order is accepted PENDING and completes when they return
//
// The idempotency key: the same key with the same request (the SHA-256 of
// its canonical form) returns the first order and its status now; with a
// different request it is refused (FAILED_PRECONDITION).
package orders

import (
	"context"
	"errors"
	"fmt"
	"github.com/bazaar-shop/bazaar/platform/resilience"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
)

// serviceName is the service's name: the events' producer.
const serviceName = "orders"

// Deps are the services orders calls, and its event bus.
type Deps struct {
	// Catalog prices the items; checkout fails while it is down.
	Catalog catalogv1.CatalogServiceClient
	// Pricing converts to the shopper's currency; while it is down orders
	// are priced in the base currency.
	Pricing pricingv1.PricingServiceClient
	// Shipping quotes the shipping cost; while it is down the flat rate is
	// charged.
	Shipping shippingv1.ShippingServiceClient
	// Inventory holds, sells and releases stock for the saga.
	Inventory inventoryv1.InventoryServiceClient
	// Payment charges and refunds for the saga.
	Payment paymentv1.PaymentServiceClient
	// Bus publishes the outbox and delivers shipment.created; nil leaves
	// events in the outbox and consumes nothing (tests).
	Bus *events.Bus
	// Events is the telemetry of the outbox.
	Events events.Telemetry
}

// Service is the orders service: its database, handlers and saga runner.
type Service struct {
	cfg     Config
	deps    Deps
	logger  *slog.Logger
	store   *store
	handler *handler
	// owner names this instance's saga runner in leases.
	owner string
	// wake tells the saga runner a new order is waiting.
	wake chan struct{}
}

// New opens the database at cfg.DSN (creating and migrating it when
// needed) and returns the service; Background starts its saga runner. A
// nil logger discards logs.
func New(ctx context.Context, cfg Config, deps Deps, logger *slog.Logger) (*Service, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new orders service: %w", err)
	}
	if deps.Catalog == nil || deps.Pricing == nil || deps.Shipping == nil || deps.Inventory == nil || deps.Payment == nil {
		return nil, errors.New("new orders service: every dependency client is required")
	}
	st, err := openStore(ctx, cfg.DSN, deps.Events, cfg.Lease, cfg.Now, cfg.Storage...)
	if err != nil {
		return nil, fmt.Errorf("new orders service: %w", err)
	}
	s := &Service{
		cfg:    cfg,
		deps:   deps,
		logger: logger,
		store:  st,
		owner:  uuid.NewString(),
		wake:   make(chan struct{}, 1),
	}
	s.handler = &handler{svc: s}
	return s, nil
}

// Register registers the OrdersService handlers on r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	ordersv1.RegisterOrdersServiceServer(r, s.handler)
}

// Ready reports whether the service can serve: its database answers.
func (s *Service) Ready(ctx context.Context) error {
	return s.store.ping(ctx)
}

// Close closes the database. Stop serving and let Background return first.
func (s *Service) Close() error {
	return s.store.close()
}

// Background runs the saga runner and, with a bus, the outbox relay and
// the shipment.created consumer, until ctx ends; then it waits for them.
func (s *Service) Background(ctx context.Context) {
	var wg sync.WaitGroup
	// The saga's calls (reserve, charge, release, refund) finish accepted
	// orders: the last work an overloaded inventory or payment sheds.
	wg.Go(func() { s.runSagas(resilience.WithPriority(ctx, resilience.Critical)) })
	if s.deps.Bus != nil {
		wg.Go(func() {
			if err := s.store.outbox.Relay(ctx, s.deps.Bus); err != nil {
				s.logger.ErrorContext(ctx, "outbox relay stopped", "err", err)
			}
		})
		wg.Go(func() {
			if err := s.deps.Bus.Consume(ctx, s.store.db, shipmentSubscription(), s.store.onShipmentCreated); err != nil {
				s.logger.ErrorContext(ctx, "shipment consumer stopped", "err", err)
			}
		})
	}
	wg.Wait()
}

// kick wakes the saga runner.
func (s *Service) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// now is the service's clock.
func (s *Service) now() time.Time { return s.cfg.Now() }
