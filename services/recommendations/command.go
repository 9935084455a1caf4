package recommendations

import (
	"context"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	"github.com/bazaar-shop/bazaar/platform/client"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
)

// Command is the recommendations service as its binary (and the
// single-process shop) runs it.
func Command(version string) daemon.Command {
	var cfg Config
	var catalogTarget string
	return daemon.Command{
		Program: daemon.Program{Service: "recommendations", Version: version},
		Flags: func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file recommendations.db in the data directory)")
			fs.StringVar(&catalogTarget, "catalog", "", "catalog service target (default registry:///catalog)")
			fs.DurationVar(&cfg.CatalogTimeout, "catalog-timeout", DefaultCatalogTimeout, "longest wait for the catalog when there is no purchase data; past it nothing is suggested")
			fs.Check("catalog-timeout", func() bool { return cfg.CatalogTimeout > 0 }, "must be positive")
		},
		Wire: func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			c := cfg
			if c.DSN == "" {
				c.DSN = "sqlite:" + env.DataPath("recommendations.db")
			}
			c.Storage = env.StorageOptions()
			conn, err := env.Dial(client.Target("catalog", catalogTarget), catalogv1.File_bazaar_catalog_v1_catalog_proto.Services().Get(0))
			if err != nil {
				return nil, err
			}
			bus, err := env.Bus()
			if err != nil {
				return nil, err
			}
			svc, err := New(ctx, c, Deps{Catalog: catalogv1.NewCatalogServiceClient(conn), Bus: bus}, env.Logger)
			if err != nil {
				return nil, err
			}
			svc.Register(env.Server.GRPC())
			return svc, nil
		},
	}
}
