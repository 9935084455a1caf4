// Command storefront serves the shop's web pages and public JSON API,
// calling the other services through their gRPC APIs.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

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
	"github.com/bazaar-shop/bazaar/services/storefront"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// upstream is a service the storefront calls: its name, the flag that
// overrides its target, and its API.
type upstream struct {
	name    string
	target  string
	service protoreflect.ServiceDescriptor
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg storefront.Config
	var keyFile string
	ups := []*upstream{
		{name: "catalog", service: catalogv1.File_bazaar_catalog_v1_catalog_proto.Services().Get(0)},
		{name: "pricing", service: pricingv1.File_bazaar_pricing_v1_pricing_proto.Services().Get(0)},
		{name: "accounts", service: accountsv1.File_bazaar_accounts_v1_accounts_proto.Services().Get(0)},
		{name: "cart", service: cartv1.File_bazaar_cart_v1_cart_proto.Services().Get(0)},
		{name: "orders", service: ordersv1.File_bazaar_orders_v1_orders_proto.Services().Get(0)},
		{name: "inventory", service: inventoryv1.File_bazaar_inventory_v1_inventory_proto.Services().Get(0)},
		{name: "recommendations", service: recommendationsv1.File_bazaar_recommendations_v1_recommendations_proto.Services().Get(0)},
		{name: "notifications", service: notificationsv1.File_bazaar_notifications_v1_notifications_proto.Services().Get(0)},
	}
	code := daemon.Main(ctx, daemon.Program{Service: "storefront", Version: version, PublicHTTP: true, DefaultHTTPAddr: "127.0.0.1:8080"},
		func(fs *config.FlagSet) {
			for _, u := range ups {
				fs.StringVar(&u.target, u.name, "", u.name+" service target (default registry:///"+u.name+")")
			}
			fs.StringVar(&cfg.BaseCurrency, "base-currency", "USD", "currency catalog prices are kept in")
			fs.DurationVar(&cfg.CatalogFreshFor, "catalog-fresh-for", 0, "how long a catalog answer is reused without asking again (0: default)")
			fs.DurationVar(&cfg.StaleFor, "stale-for", 0, "how long the last good catalog answer is served while catalog is down (0: default)")
			fs.StringVar(&keyFile, "session-key-file", "", "file holding the session signing key, created on first start; "+
				"replicas must share it (default: session.key in the data directory)")
		},
		func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			if keyFile == "" {
				keyFile = env.DataPath("session.key")
			}
			key, err := storefront.LoadSessionKey(keyFile)
			if err != nil {
				return nil, err
			}
			cfg.SessionKey = key
			conns := make(map[string]*grpc.ClientConn, len(ups))
			e := &edge{}
			for _, u := range ups {
				conn, err := env.Dial(client.Target(u.name, u.target), u.service)
				if err != nil {
					return nil, errors.Join(err, e.Close())
				}
				conns[u.name] = conn
				e.conns = append(e.conns, conn)
			}
			sf, err := storefront.New(cfg, storefront.Deps{
				Catalog:         catalogv1.NewCatalogServiceClient(conns["catalog"]),
				Pricing:         pricingv1.NewPricingServiceClient(conns["pricing"]),
				Accounts:        accountsv1.NewAccountsServiceClient(conns["accounts"]),
				Cart:            cartv1.NewCartServiceClient(conns["cart"]),
				Orders:          ordersv1.NewOrdersServiceClient(conns["orders"]),
				Inventory:       inventoryv1.NewInventoryServiceClient(conns["inventory"]),
				Recommendations: recommendationsv1.NewRecommendationsServiceClient(conns["recommendations"]),
				Notifications:   notificationsv1.NewNotificationsServiceClient(conns["notifications"]),
				Logger:          env.Logger,
			})
			if err != nil {
				return nil, errors.Join(err, e.Close())
			}
			env.Server.SetHTTPHandler(sf.Handler())
			e.Storefront = sf
			return e, nil
		})
	stop()
	os.Exit(code)
}

// edge is the storefront with the connections it owns.
type edge struct {
	*storefront.Storefront
	conns []*grpc.ClientConn
}

// Close closes the storefront's client connections.
func (e *edge) Close() error {
	var errs []error
	for _, c := range e.conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
