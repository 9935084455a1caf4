// Package verify checks the invariants of Bazaar's order flow (BLUEPRINT
// §6) on a running shop, through the services' gRPC APIs only, never
// their databases: every accepted order ends CONFIRMED or CANCELLED; no
// order is charged twice; a CANCELLED order holds no charge and no stock;
// stock on hand + reserved + sold equals what was loaded; every CONFIRMED
// order has exactly one shipment and one confirmation e-mail; the same
// idempotency key never makes two orders (not observable through the
// APIs, and reported as such).
//
// Run reads a Snapshot from the services and judges it with pure
// functions over plain data. Work that may still finish (an order PENDING
// for less than the grace period, a shipment not created yet for an order
// confirmed moments ago) is counted as in flight, not as a violation;
// with Options.Wait, Run reads again until nothing is in flight.
package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// Clients are the services verify reads.
type Clients struct {
	Orders        ordersv1.OrdersServiceClient
	Payment       paymentv1.PaymentServiceClient
	Inventory     inventoryv1.InventoryServiceClient
	Shipping      shippingv1.ShippingServiceClient
	Notifications notificationsv1.NotificationsServiceClient
}

// Services are the names of the services verify reads, as in the
// registry.
func Services() []string {
	return []string{"orders", "payment", "inventory", "shipping", "notifications"}
}

// Missing returns the services of Services that have no ready instance in
// snap, in that order.
func Missing(snap registry.Snapshot) []string {
	var out []string
	for _, s := range Services() {
		if len(snap.Of(s)) == 0 {
			out = append(out, s)
		}
	}
	return out
}

// Defaults for zero Options fields.
const (
	DefaultGrace       = 60 * time.Second
	DefaultPoll        = time.Second
	DefaultConcurrency = 8
)

// Options tune Run.
type Options struct {
	// Grace is how long an order may stay PENDING, and a CONFIRMED order
	// wait for its shipment and e-mail, before it is a violation rather
	// than in flight. Zero means DefaultGrace.
	Grace time.Duration
	// Wait is how long Run keeps reading again while something is in
	// flight or a service cannot be read; zero reads once.
	Wait time.Duration
	// Poll is the pause between reads while waiting; zero means
	// DefaultPoll.
	Poll time.Duration
	// Concurrency is how many orders are read at once; zero means
	// DefaultConcurrency.
	Concurrency int
	// Now is the clock ages are measured with; nil means time.Now.
	Now func() time.Time
}

// withDefaults returns o with zero fields defaulted, or an error naming
// the first invalid field.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Grace < 0:
		return o, fmt.Errorf("verify options: Grace %v is negative", o.Grace)
	case o.Wait < 0:
		return o, fmt.Errorf("verify options: Wait %v is negative", o.Wait)
	case o.Poll < 0:
		return o, fmt.Errorf("verify options: Poll %v is negative", o.Poll)
	case o.Concurrency < 0:
		return o, fmt.Errorf("verify options: Concurrency %d is negative", o.Concurrency)
	}
	if o.Grace == 0 {
		o.Grace = DefaultGrace
	}
	if o.Poll == 0 {
		o.Poll = DefaultPoll
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// ErrClientMissing is returned by Run when a field of Clients is nil.
var ErrClientMissing = errors.New("verify: a service client is missing")

// Run reads the services and checks every invariant. With opts.Wait it
// reads again, every opts.Poll, while something is in flight or a service
// cannot be read, until opts.Wait has passed; the last read decides. An
// error means the invariants could not be checked (a *ServiceError names
// the service); violations are in the Report, not an error.
func Run(ctx context.Context, c Clients, opts Options) (Report, error) {
	if c.Orders == nil || c.Payment == nil || c.Inventory == nil || c.Shipping == nil || c.Notifications == nil {
		return Report{}, ErrClientMissing
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return Report{}, err
	}
	deadline := time.Now().Add(opts.Wait)
	for {
		rep, err := once(ctx, c, opts)
		settled := err == nil && rep.InFlight() == 0
		left := time.Until(deadline)
		if settled || left <= 0 || ctx.Err() != nil {
			return rep, err
		}
		t := time.NewTimer(min(opts.Poll, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return rep, err
		case <-t.C:
		}
	}
}

// once reads one snapshot and judges it.
func once(ctx context.Context, c Clients, opts Options) (Report, error) {
	s, err := fetch(ctx, c, opts)
	if err != nil {
		return Report{}, err
	}
	return evaluate(s, opts.Grace), nil
}
