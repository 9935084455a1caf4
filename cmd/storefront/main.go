// Command storefront serves the shop's web pages and public JSON API,
// calling the catalog and pricing services through their gRPC APIs.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	"github.com/bazaar-shop/bazaar/platform/client"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/storefront"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg storefront.Config
	var catalogTarget, pricingTarget string
	code := daemon.Main(ctx, daemon.Program{Service: "storefront", Version: version, PublicHTTP: true, DefaultHTTPAddr: "127.0.0.1:8080"},
		func(fs *config.FlagSet) {
			fs.StringVar(&catalogTarget, "catalog", "", "catalog service target (default registry:///catalog)")
			fs.StringVar(&pricingTarget, "pricing", "", "pricing service target (default registry:///pricing)")
			fs.StringVar(&cfg.BaseCurrency, "base-currency", "USD", "currency catalog prices are kept in")
			fs.DurationVar(&cfg.CatalogFreshFor, "catalog-fresh-for", 0, "how long a catalog answer is reused without asking again (0: default)")
			fs.DurationVar(&cfg.StaleFor, "stale-for", 0, "how long the last good catalog answer is served while catalog is down (0: default)")
		},
		func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			catalogConn, err := env.Dial(client.Target("catalog", catalogTarget), catalogv1.File_bazaar_catalog_v1_catalog_proto.Services().Get(0))
			if err != nil {
				return nil, err
			}
			pricingConn, err := env.Dial(client.Target("pricing", pricingTarget), pricingv1.File_bazaar_pricing_v1_pricing_proto.Services().Get(0))
			if err != nil {
				return nil, errors.Join(err, catalogConn.Close())
			}
			sf, err := storefront.New(cfg, storefront.Deps{
				Catalog: catalogv1.NewCatalogServiceClient(catalogConn),
				Pricing: pricingv1.NewPricingServiceClient(pricingConn),
				Logger:  env.Logger,
			})
			if err != nil {
				return nil, errors.Join(err, catalogConn.Close(), pricingConn.Close())
			}
			env.Server.SetHTTPHandler(sf.Handler())
			return &edge{Storefront: sf, conns: []*grpc.ClientConn{catalogConn, pricingConn}}, nil
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
