package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5/pgconn"
)

// databaseNamePattern is what EnsurePostgresDatabase accepts as a name:
// a plain lower-case identifier, so it needs no quoting anywhere.
var databaseNamePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// EnsurePostgresDatabase creates the database name on the PostgreSQL
// server of serverDSN (a role allowed to create databases) unless it
// exists, with the UTF-8 encoding and the C collation Open requires, and
// returns serverDSN pointing at it: the DSN a service is given. It is for
// operators' tools (`bazaar up -postgres`, tests); services never create
// their own database.
func EnsurePostgresDatabase(ctx context.Context, serverDSN, name string) (string, error) {
	if !databaseNamePattern.MatchString(name) {
		return "", fmt.Errorf("create database %q: not a lower-case identifier", name)
	}
	u, err := url.Parse(serverDSN)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("create database %s: %w: want postgres://…", name, ErrUnsupportedDSN)
	}
	db, err := sql.Open("pgx", serverDSN)
	if err != nil {
		return "", fmt.Errorf("create database %s on %s: %w", name, u.Redacted(), err)
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`)
	var pe *pgconn.PgError
	if err != nil && !(errors.As(err, &pe) && pe.Code == "42P04") { // 42P04: duplicate_database
		return "", fmt.Errorf("create database %s on %s: %w", name, u.Redacted(), err)
	}
	u.Path = "/" + name
	return u.String(), nil
}
