package inventory

import (
	"context"

	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
)

// Command is the inventory service as its binary (and the single-process shop)
// runs it.
func Command(version string) daemon.Command {
	var cfg Config
	return daemon.Command{
		Program: daemon.Program{Service: "inventory", Version: version},
		Flags: func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file inventory.db in the data directory)")
			fs.Int64Var(&cfg.LowStockThreshold, "low-stock-threshold", DefaultLowStockThreshold, "send stock.low when a product's units on hand drop below this")
			fs.Check("low-stock-threshold", func() bool { return cfg.LowStockThreshold > 0 }, "must be positive")
		},
		Wire: func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			c := cfg
			if c.DSN == "" {
				c.DSN = "sqlite:" + env.DataPath("inventory.db")
			}
			c.Storage = env.StorageOptions()
			bus, err := env.Bus()
			if err != nil {
				return nil, err
			}
			svc, err := New(ctx, c, Deps{Bus: bus, Events: env.EventsTelemetry()}, env.Logger)
			if err != nil {
				return nil, err
			}
			svc.Register(env.Server.GRPC())
			return svc, nil
		},
	}
}
