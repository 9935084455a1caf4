// Command inventory serves bazaar.inventory.v1: stock per product and the
// reservations orders hold on it, in its own SQLite database, publishing
// stock.reserved, stock.rejected and stock.low through its outbox.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/inventory"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg inventory.Config
	code := daemon.Main(ctx, daemon.Program{Service: "inventory", Version: version},
		func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file inventory.db in the data directory)")
			fs.Int64Var(&cfg.LowStockThreshold, "low-stock-threshold", inventory.DefaultLowStockThreshold, "send stock.low when a product's units on hand drop below this")
			fs.Check("low-stock-threshold", func() bool { return cfg.LowStockThreshold > 0 }, "must be positive")
		},
		func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			if cfg.DSN == "" {
				cfg.DSN = "sqlite:" + env.DataPath("inventory.db")
			}
			bus, err := env.Bus()
			if err != nil {
				return nil, err
			}
			svc, err := inventory.New(ctx, cfg, inventory.Deps{Bus: bus, Events: env.EventsTelemetry()}, env.Logger)
			if err != nil {
				return nil, err
			}
			svc.Register(env.Server.GRPC())
			return svc, nil
		})
	stop()
	os.Exit(code)
}
