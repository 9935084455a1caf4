// Package notifications is the notifications service
// (bazaar.notifications.v1): the e-mails sent to shoppers about their
// orders. It consumes order.placed, order.confirmed and order.cancelled
// from orders and shipment.created from shipping, renders each into an
// e-mail (text/template: a subject and a plain-text body) and keeps it in
// a mailbox anyone can read, exactly once per order and kind.
//
// When an SMTP server is configured, each new message is also queued for
// delivery in the same transaction and sent by a background loop that
// retries until the server accepts it; a mail server that is down delays
// e-mails, it never blocks or loses them.
package notifications

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
	"google.golang.org/grpc"
)

// Config configures a Service.
type Config struct {
	// DSN names the database: "sqlite:/path/notifications.db" or a plain
	// path.
	DSN string
	// Storage are extra options for opening the database (tracing).
	Storage []storage.Option
	// SMTP configures delivery; a zero SMTP.Addr leaves it off.
	SMTP SMTP
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Deps are the service's connections to the rest of the shop.
type Deps struct {
	// Bus carries the events consumed; nil consumes none.
	Bus *events.Bus
}

// Service is the notifications service: its mailbox, consumers, SMTP
// delivery and gRPC handlers.
type Service struct {
	store     *store
	bus       *events.Bus
	mailer    *mailer
	deliverer *deliverer // nil without SMTP
	handler   *handler
	logger    *slog.Logger
}

// New opens the database at cfg.DSN, migrating it, and checks the SMTP
// settings. A nil logger discards logs.
func New(ctx context.Context, cfg Config, deps Deps, logger *slog.Logger) (*Service, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	r, err := newRenderer()
	if err != nil {
		return nil, fmt.Errorf("new notifications service: %w", err)
	}
	st, err := openStore(ctx, cfg.DSN, cfg.Storage...)
	if err != nil {
		return nil, fmt.Errorf("new notifications service: %w", err)
	}
	s := &Service{
		store:   st,
		bus:     deps.Bus,
		mailer:  &mailer{store: st, renderer: r, now: now, wake: func() {}},
		handler: &handler{store: st, logger: logger},
		logger:  logger,
	}
	if cfg.SMTP.Addr != "" {
		d, err := newDeliverer(st, cfg.SMTP, now, logger)
		if err != nil {
			_ = st.close()
			return nil, fmt.Errorf("new notifications service: %w", err)
		}
		s.deliverer = d
		s.mailer.deliver, s.mailer.wake = true, d.notify
	}
	return s, nil
}

// Register registers the NotificationsService handlers on r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	notificationsv1.RegisterNotificationsServiceServer(r, s.handler)
}

// Ready reports whether the service can serve: its database answers.
func (s *Service) Ready(ctx context.Context) error {
	return s.store.ping(ctx)
}

// Background consumes events (with a bus) and delivers mail (with SMTP)
// until ctx ends.
func (s *Service) Background(ctx context.Context) {
	var wg sync.WaitGroup
	if s.bus != nil {
		for _, sub := range subscriptions() {
			wg.Go(func() {
				if err := s.bus.Consume(ctx, s.store.db, sub, s.mailer.handle); err != nil {
					s.logger.ErrorContext(ctx, "consumer stopped", "consumer", sub.Consumer, "error", err)
				}
			})
		}
	}
	if s.deliverer != nil {
		wg.Go(func() { s.deliverer.run(ctx) })
	}
	wg.Wait()
}

// Close closes the database. Stop serving and Background first.
func (s *Service) Close() error {
	return s.store.close()
}
