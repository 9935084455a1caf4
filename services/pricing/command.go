package pricing

import (
	"context"

	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
)

// Command is the pricing service as its binary (and the single-process shop)
// runs it.
func Command(version string) daemon.Command {
	var cfg Config
	return daemon.Command{
		Program: daemon.Program{Service: "pricing", Version: version},
		Flags: func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file pricing.db in the data directory)")
		},
		Wire: func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			c := cfg
			if c.DSN == "" {
				c.DSN = "sqlite:" + env.DataPath("pricing.db")
			}
			c.Storage = env.StorageOptions()
			svc, err := New(ctx, c, env.Logger)
			if err != nil {
				return nil, err
			}
			svc.Register(env.Server.GRPC())
			return svc, nil
		},
	}
}
