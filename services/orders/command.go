package orders

import (
	"context"

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
)

// Command is the orders service as its binary (and the single-process
// shop) runs it.
func Command(version string) daemon.Command {
	var cfg Config
	deps := dependencies()
	return daemon.Command{
		Program: daemon.Program{Service: "orders", Version: version},
		Flags: func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file orders.db in the data directory)")
			fs.StringVar(&cfg.BaseCurrency, "base-currency", DefaultBaseCurrency, "currency catalog prices are kept in")
			fs.StringVar(&cfg.FlatShipping, "flat-shipping", DefaultFlatShipping, "shipping cost in the base currency when shipping cannot quote")
			fs.DurationVar(&cfg.MaxBackoff, "saga-max-backoff", DefaultMaxBackoff, "longest wait before a failed saga step is retried")
			fs.Check("base-currency", func() bool { return money.ValidateCode(cfg.BaseCurrency) == nil }, "must be three upper-case letters (USD)")
			fs.Check("flat-shipping", func() bool {
				r, err := money.ParseDecimal(cfg.FlatShipping)
				return err == nil && r.Sign() >= 0
			}, "must be a non-negative decimal amount (4.99)")
			fs.Check("saga-max-backoff", func() bool { return cfg.MaxBackoff >= DefaultMinBackoff }, "must be at least "+DefaultMinBackoff.String())
			for _, d := range deps {
				fs.StringVar(&d.target, d.name, "", d.name+" service target (default registry:///"+d.name+")")
			}
		},
		Wire: func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			c := cfg
			if c.DSN == "" {
				c.DSN = "sqlite:" + env.DataPath("orders.db")
			}
			c.Storage = env.StorageOptions()
			c.CallTimeout = env.Settings.CallTimeout
			return wire(ctx, env, c, deps)
		},
	}
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

// wire dials the dependencies and builds the service. The daemon closes
// the connections, also when wire fails.
func wire(ctx context.Context, env *daemon.Env, cfg Config, deps []*dependency) (daemon.Service, error) {
	conns := make([]*grpc.ClientConn, 0, len(deps))
	for _, d := range deps {
		conn, err := env.Dial(client.Target(d.name, d.target), d.service)
		if err != nil {
			return nil, err
		}
		conns = append(conns, conn)
	}
	bus, err := env.Bus()
	if err != nil {
		return nil, err
	}
	svc, err := New(ctx, cfg, Deps{
		Catalog:   catalogv1.NewCatalogServiceClient(conns[0]),
		Pricing:   pricingv1.NewPricingServiceClient(conns[1]),
		Shipping:  shippingv1.NewShippingServiceClient(conns[2]),
		Inventory: inventoryv1.NewInventoryServiceClient(conns[3]),
		Payment:   paymentv1.NewPaymentServiceClient(conns[4]),
		Bus:       bus,
		Events:    env.EventsTelemetry(),
	}, env.Logger)
	if err != nil {
		return nil, err
	}
	svc.Register(env.Server.GRPC())
	return svc, nil
}
