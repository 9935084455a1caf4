// Command pricing serves currencies, rates and exact conversion
// (bazaar.pricing.v1) from its own SQLite database.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/pricing"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg pricing.Config
	code := daemon.Main(ctx, daemon.Program{Service: "pricing", Version: version},
		func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file pricing.db in the data directory)")
		},
		func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			if cfg.DSN == "" {
				cfg.DSN = "sqlite:" + env.DataPath("pricing.db")
			}
			svc, err := pricing.New(ctx, cfg, env.Logger)
			if err != nil {
				return nil, err
			}
			svc.Register(env.Server.GRPC())
			return svc, nil
		})
	stop()
	os.Exit(code)
}
