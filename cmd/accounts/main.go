// Command accounts serves bazaar.accounts.v1: registered shoppers, their
// password hashes and address books, in its own SQLite database,
// publishing user.registered through its outbox.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/accounts"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg accounts.Config
	code := daemon.Main(ctx, daemon.Program{Service: "accounts", Version: version},
		func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file accounts.db in the data directory)")
			fs.IntVar(&cfg.HashConcurrency, "hash-concurrency", 0, "most password hashes computed at once, 19 MiB each (0: one per CPU)")
			fs.Check("hash-concurrency", func() bool { return cfg.HashConcurrency >= 0 }, "must not be negative")
		},
		func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			if cfg.DSN == "" {
				cfg.DSN = "sqlite:" + env.DataPath("accounts.db")
			}
			bus, err := env.Bus()
			if err != nil {
				return nil, err
			}
			svc, err := accounts.New(ctx, cfg, accounts.Deps{Bus: bus, Events: env.EventsTelemetry()}, env.Logger)
			if err != nil {
				return nil, err
			}
			svc.Register(env.Server.GRPC())
			return svc, nil
		})
	stop()
	os.Exit(code)
}
