package storefront

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"

	accountsv1 "github.com/bazaar-shop/bazaar/api/bazaar/accounts/v1"
	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
	"github.com/bazaar-shop/bazaar/platform/client"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
)

// Command is the storefront as its binary (and the single-process shop)
// runs it.
func Command(version string) daemon.Command {
	var cfg Config
	var keyFile string
	ups := upstreams()
	return daemon.Command{
		Program: daemon.Program{Service: "storefront", Version: version, PublicHTTP: true, DefaultHTTPAddr: "127.0.0.1:8080"},
		Flags: func(fs *config.FlagSet) {
			for _, u := range ups {
				fs.StringVar(&u.target, u.name, "", u.name+" service target (default registry:///"+u.name+")")
			}
			fs.StringVar(&cfg.BaseCurrency, "base-currency", "USD", "currency catalog prices are kept in")
			fs.DurationVar(&cfg.CatalogFreshFor, "catalog-fresh-for", 0, "how long a catalog answer is reused without asking again (0: default)")
			fs.DurationVar(&cfg.StaleFor, "stale-for", 0, "how long the last good catalog answer is served while catalog is down (0: default)")
			fs.DurationVar(&cfg.AvailabilityFreshFor, "availability-fresh-for", 0, "how long a product page reuses its stock line (0: default 1s)")
			fs.DurationVar(&cfg.RecommendationsFreshFor, "recommendations-fresh-for", 0, "how long a product page reuses its recommendations (0: default 30s)")
			fs.DurationVar(&cfg.ConversionFreshFor, "conversion-fresh-for", 0, "how long converted prices are reused (0: default 10s)")
			fs.Float64Var(&cfg.RateLimit, "rate-limit", DefaultRateLimit, "requests per second each client (session, or address without one) may make; negative: no limit")
			fs.IntVar(&cfg.RateBurst, "rate-burst", DefaultRateBurst, "requests a client may make at once beyond its rate")
			fs.StringVar(&keyFile, "session-key-file", "", "file holding the session signing key, created on first start; "+
				"replicas must share it (default: session.key in the data directory)")
		},
		Wire: func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			path := keyFile
			if path == "" {
				path = env.DataPath("session.key")
			}
			c := cfg
			key, err := LoadSessionKey(path)
			if err != nil {
				return nil, err
			}
			c.SessionKey = key
			return wire(env, c, ups)
		},
	}
}

// upstream is a service the storefront calls: its name, the target its
// flag sets, and its API.
type upstream struct {
	name    string
	target  string
	service protoreflect.ServiceDescriptor
}

// upstreams are the services the storefront calls.
func upstreams() []*upstream {
	return []*upstream{
		{name: "catalog", service: catalogv1.File_bazaar_catalog_v1_catalog_proto.Services().Get(0)},
		{name: "pricing", service: pricingv1.File_bazaar_pricing_v1_pricing_proto.Services().Get(0)},
		{name: "accounts", service: accountsv1.File_bazaar_accounts_v1_accounts_proto.Services().Get(0)},
		{name: "cart", service: cartv1.File_bazaar_cart_v1_cart_proto.Services().Get(0)},
		{name: "orders", service: ordersv1.File_bazaar_orders_v1_orders_proto.Services().Get(0)},
		{name: "inventory", service: inventoryv1.File_bazaar_inventory_v1_inventory_proto.Services().Get(0)},
		{name: "recommendations", service: recommendationsv1.File_bazaar_recommendations_v1_recommendations_proto.Services().Get(0)},
		{name: "notifications", service: notificationsv1.File_bazaar_notifications_v1_notifications_proto.Services().Get(0)},
	}
}

// wire dials the upstreams, builds the storefront and serves it on the
// public HTTP listener. The daemon closes the connections, also when wire
// fails.
func wire(env *daemon.Env, cfg Config, ups []*upstream) (daemon.Service, error) {
	conns := make(map[string]*grpc.ClientConn, len(ups))
	for _, u := range ups {
		conn, err := env.Dial(client.Target(u.name, u.target), u.service)
		if err != nil {
			return nil, err
		}
		conns[u.name] = conn
	}
	sf, err := New(cfg, Deps{
		Catalog:         catalogv1.NewCatalogServiceClient(conns["catalog"]),
		Pricing:         pricingv1.NewPricingServiceClient(conns["pricing"]),
		Accounts:        accountsv1.NewAccountsServiceClient(conns["accounts"]),
		Cart:            cartv1.NewCartServiceClient(conns["cart"]),
		Orders:          ordersv1.NewOrdersServiceClient(conns["orders"]),
		Inventory:       inventoryv1.NewInventoryServiceClient(conns["inventory"]),
		Recommendations: recommendationsv1.NewRecommendationsServiceClient(conns["recommendations"]),
		Notifications:   notificationsv1.NewNotificationsServiceClient(conns["notifications"]),
		Logger:          env.Logger,
		Shedder:         env.Shedder,
	})
	if err != nil {
		return nil, err
	}
	env.Server.SetHTTPHandler(sf.Handler())
	return process{sf}, nil
}

// process is the storefront as the daemon runs it. The storefront holds
// nothing to release itself: the daemon closes its client connections.
type process struct{ *Storefront }

// Close releases nothing; it makes process a daemon.Service.
func (process) Close() error { return nil }
