// Command cart serves bazaar.cart.v1: shoppers' carts in its own SQLite
// database. It checks added products with the catalog and empties a cart
// when its order is placed (it consumes order.placed).
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
	"github.com/bazaar-shop/bazaar/services/cart"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg cart.Config
	var catalogTarget string
	code := daemon.Main(ctx, daemon.Program{Service: "cart", Version: version},
		func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file cart.db in the data directory)")
			fs.StringVar(&catalogTarget, "catalog", "", "catalog service target (default registry:///catalog)")
			fs.DurationVar(&cfg.CatalogTimeout, "catalog-timeout", cart.DefaultCatalogTimeout, "longest wait for the catalog when adding an item; past it the item is accepted unchecked")
			fs.DurationVar(&cfg.KeyRetention, "key-retention", cart.DefaultKeyRetention, "how long add-to-cart idempotency keys are remembered")
			fs.Check("catalog-timeout", func() bool { return cfg.CatalogTimeout > 0 }, "must be positive")
			fs.Check("key-retention", func() bool { return cfg.KeyRetention > 0 }, "must be positive")
		},
		func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			if cfg.DSN == "" {
				cfg.DSN = "sqlite:" + env.DataPath("cart.db")
			}
			conn, err := env.Dial(client.Target("catalog", catalogTarget), catalogv1.File_bazaar_catalog_v1_catalog_proto.Services().Get(0))
			if err != nil {
				return nil, err
			}
			bus, err := env.Bus()
			if err != nil {
				return nil, errors.Join(err, conn.Close())
			}
			svc, err := cart.New(ctx, cfg, cart.Deps{Catalog: catalogv1.NewCatalogServiceClient(conn), Bus: bus}, env.Logger)
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
	*cart.Service
	conn *grpc.ClientConn
}

// Close closes the service, then its catalog connection.
func (p *process) Close() error {
	return errors.Join(p.Service.Close(), p.conn.Close())
}
