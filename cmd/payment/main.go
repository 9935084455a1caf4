// Command payment serves bazaar.payment.v1: a simulated card processor
// that never charges an order twice, keeping charges, refunds and a ledger
// in its own SQLite database and publishing payment.succeeded,
// payment.failed and payment.refunded through its outbox.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/payment"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg payment.Config
	code := daemon.Main(ctx, daemon.Program{Service: "payment", Version: version},
		func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file payment.db in the data directory)")
		},
		func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			if cfg.DSN == "" {
				cfg.DSN = "sqlite:" + env.DataPath("payment.db")
			}
			bus, err := env.Bus()
			if err != nil {
				return nil, err
			}
			svc, err := payment.New(ctx, cfg, payment.Deps{Bus: bus, Events: env.EventsTelemetry()}, env.Logger)
			if err != nil {
				return nil, err
			}
			svc.Register(env.Server.GRPC())
			return svc, nil
		})
	stop()
	os.Exit(code)
}
