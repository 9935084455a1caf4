// Command orders serves bazaar.orders.v1: it accepts orders into its own
// SQLite database and runs each order's saga against inventory and
// payment, publishing order events through its outbox.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	"github.com/bazaar-shop/bazaar/platform/client"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/platform/money"
	"github.com/bazaar-shop/bazaar/services/orders"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg orders.Config
	deps := dependencies()
	code := daemon.Main(ctx, daemon.Program{Service: "orders", Version: version},
		func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file orders.db in the data directory)")
			fs.StringVar(&cfg.BaseCurrency, "base-currency", orders.DefaultBaseCurrency, "currency catalog prices are kept in")
			fs.StringVar(&cfg.FlatShipping, "flat-shipping", orders.DefaultFlatShipping, "shipping cost in the base currency when shipping cannot quote")
			fs.DurationVar(&cfg.MaxBackoff, "saga-max-backoff", orders.DefaultMaxBackoff, "longest wait before a failed saga step is retried")
			fs.Check("base-currency", func() bool { return money.ValidateCode(cfg.BaseCurrency) == nil }, "must be three upper-case letters (USD)")
			fs.Check("flat-shipping", func() bool {
				r, err := money.ParseDecimal(cfg.FlatShipping)
				return err == nil && r.Sign() >= 0
			}, "must be a non-negative decimal amount (4.99)")
			fs.Check("saga-max-backoff", func() bool { return cfg.MaxBackoff >= orders.DefaultMinBackoff }, "must be at least "+orders.DefaultMinBackoff.String())
			for _, d := range deps {
				fs.StringVar(&d.target, d.name, "", d.name+" service target (default registry:///"+d.name+")")
			}
		},
		func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			if cfg.DSN == "" {
				cfg.DSN = "sqlite:" + env.DataPath("orders.db")
			}
			cfg.CallTimeout = env.Settings.CallTimeout
			return wire(ctx, env, cfg, deps)
		})
	stop()
	os.Exit(code)
}

// dependency is a service orders calls: its name (also its flag's) and
// API, and the target its flag set.
type dependency struct {
	name    string
	service protoreflect.ServiceDescriptor
	target  string
}

// dependencies are the services orders calls, in the order wire builds
// their clients.
func dependencies() []*dependency {
	return []*dependency{
		{name: "catalog", service: catalogv1.File_bazaar_catalog_v1_catalog_proto.Services().Get(0)},
		{name: "pricing", service: pricingv1.File_bazaar_pricing_v1_pricing_proto.Services().Get(0)},
		{name: "shipping", service: shippingv1.File_bazaar_shipping_v1_shipping_proto.Services().Get(0)},
		{name: "inventory", service: inventoryv1.File_bazaar_inventory_v1_inventory_proto.Services().Get(0)},
		{name: "payment", service: paymentv1.File_bazaar_payment_v1_payment_proto.Services().Get(0)},
	}
}

// wire dials the dependencies and builds the service.
func wire(ctx context.Context, env *daemon.Env, cfg orders.Config, deps []*dependency) (daemon.Service, error) {
	var conns []*grpc.ClientConn
	closeAll := func(err error) error {
		for _, c := range conns {
			err = errors.Join(err, c.Close())
		}
		return err
	}
	for _, d := range deps {
		conn, err := env.Dial(client.Target(d.name, d.target), d.service)
		if err != nil {
			return nil, closeAll(err)
		}
		conns = append(conns, conn)
	}
	bus, err := env.Bus()
	if err != nil {
		return nil, closeAll(err)
	}
	svc, err := orders.New(ctx, cfg, orders.Deps{
		Catalog:   catalogv1.NewCatalogServiceClient(conns[0]),
		Pricing:   pricingv1.NewPricingServiceClient(conns[1]),
		Shipping:  shippingv1.NewShippingServiceClient(conns[2]),
		Inventory: inventoryv1.NewInventoryServiceClient(conns[3]),
		Payment:   paymentv1.NewPaymentServiceClient(conns[4]),
		Bus:       bus,
		Events:    env.EventsTelemetry(),
	}, env.Logger)
	if err != nil {
		return nil, closeAll(err)
	}
	svc.Register(env.Server.GRPC())
	return &process{Service: svc, conns: conns}, nil
}

// process is the service with the connections it owns.
type process struct {
	*orders.Service
	conns []*grpc.ClientConn
}

// Close closes the service, then its client connections.
func (p *process) Close() error {
	err := p.Service.Close()
	for _, c := range p.conns {
		err = errors.Join(err, c.Close())
	}
	return err
}
