// Command recommendations serves bazaar.recommendations.v1: products often
// bought together, learnt from confirmed orders (it consumes
// order.confirmed) and kept in its own SQLite database; while it has no
// purchase data it suggests products from the catalog.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	"github.com/bazaar-shop/bazaar/platform/client"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/recommendations"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg recommendations.Config
	var catalogTarget string
	code := daemon.Main(ctx, daemon.Program{Service: "recommendations", Version: version},
		func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file recommendations.db in the data directory)")
			fs.StringVar(&catalogTarget, "catalog", "", "catalog service target (default registry:///catalog)")
			fs.DurationVar(&cfg.CatalogTimeout, "catalog-timeout", recommendations.DefaultCatalogTimeout, "longest wait for the catalog when there is no purchase data; past it nothing is suggested")
			fs.Check("catalog-timeout", func() bool { return cfg.CatalogTimeout > 0 }, "must be positive")
		},
		func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			if cfg.DSN == "" {
				cfg.DSN = "sqlite:" + env.DataPath("recommendations.db")
			}
			conn, err := env.Dial(client.Target("catalog", catalogTarget), catalogv1.File_bazaar_catalog_v1_catalog_proto.Services().Get(0))
			if err != nil {
				return nil, err
			}
			bus, err := env.Bus()
			if err != nil {
				return nil, errors.Join(err, conn.Close())
			}
			svc, err := recommendations.New(ctx, cfg, recommendations.Deps{Catalog: catalogv1.NewCatalogServiceClient(conn), Bus: bus}, env.Logger)
			if err != nil {
				return nil, errors.Join(err, conn.Close())
			}
			svc.Register(env.Server.GRPC())
			return &process{Service: svc, conn: conn}, nil
		})
	stop()
	os.Exit(code)
}

// process is the service with the catalog connection it owns.
type process struct {
	*recommendations.Service
	conn *grpc.ClientConn
}

// Close closes the service, then its catalog connection.
func (p *process) Close() error {
	return errors.Join(p.Service.Close(), p.conn.Close())
}
