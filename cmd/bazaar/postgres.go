package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/bazaar-shop/bazaar/platform/storage"
)

// postgresDatabases creates (when missing) one database per stateful
// service on the PostgreSQL server of serverDSN, PREFIX_<service> where
// PREFIX is the DSN's database name ("bazaar" when it names none), and
// returns each service's DSN. An empty serverDSN means SQLite: no DSNs.
func postgresDatabases(ctx context.Context, serverDSN string, specs []serviceSpec) (map[string]string, error) {
	if serverDSN == "" {
		return nil, nil
	}
	u, err := url.Parse(serverDSN)
	if err != nil {
		return nil, fmt.Errorf("-postgres: malformed URL")
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix == "" {
		prefix = "bazaar"
	}
	// The databases are made from the server's maintenance database, since
	// the prefix names none that exists.
	admin := *u
	admin.Path = "/postgres"
	dsns := map[string]string{}
	for _, s := range specs {
		if s.edge {
			continue // the storefront keeps nothing durable
		}
		dsn, err := storage.EnsurePostgresDatabase(ctx, admin.String(), prefix+"_"+s.name)
		if err != nil {
			return nil, fmt.Errorf("-postgres: %w", err)
		}
		dsns[s.name] = dsn
	}
	return dsns, nil
}
