// Command shipping serves bazaar.shipping.v1: shipping quotes from a zone
// and weight rate table, one shipment per confirmed order (it consumes
// order.confirmed) and tracking, in its own SQLite database, publishing
// shipment.created through its outbox.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/shipping"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg shipping.Config
	code := daemon.Main(ctx, daemon.Program{Service: "shipping", Version: version},
		func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file shipping.db in the data directory)")
		},
		func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			if cfg.DSN == "" {
				cfg.DSN = "sqlite:" + env.DataPath("shipping.db")
			}
			bus, err := env.Bus()
			if err != nil {
				return nil, err
			}
			svc, err := shipping.New(ctx, cfg, shipping.Deps{Bus: bus, Events: env.EventsTelemetry()}, env.Logger)
			if err != nil {
				return nil, err
			}
			svc.Register(env.Server.GRPC())
			return svc, nil
		})
	stop()
	os.Exit(code)
}
