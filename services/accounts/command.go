package accounts

import (
	"context"

	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
)

// Command is the accounts service as its binary (and the single-process shop)
// runs it.
func Command(version string) daemon.Command {
	var cfg Config
	return daemon.Command{
		Program: daemon.Program{Service: "accounts", Version: version},
		Flags: func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file accounts.db in the data directory)")
			fs.IntVar(&cfg.HashConcurrency, "hash-concurrency", 0, "most password hashes computed at once, 19 MiB each (0: one per CPU)")
			fs.Check("hash-concurrency", func() bool { return cfg.HashConcurrency >= 0 }, "must not be negative")
		},
		Wire: func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			c := cfg
			if c.DSN == "" {
				c.DSN = "sqlite:" + env.DataPath("accounts.db")
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
