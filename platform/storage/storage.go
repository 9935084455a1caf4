// Package storage opens a service's own SQL database and brings its schema
// up to date with the service's embedded, versioned migrations.
//
// SQLite (modernc.org/sqlite, pure Go) is the default: one file per service
// in WAL mode with synchronous=FULL, so a committed transaction survives a
// power cut. The Dialect is the seam where PostgreSQL plugs in when Bazaar
// is scaled out: services write queries with '?' placeholders and run them
// through Rebind.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect hides the differences between SQL engines that service code
// must know about.
type Dialect interface {
	// Name is the engine's name: "sqlite" or "postgres".
	Name() string
	// Rebind turns a query written with '?' placeholders into the
	// engine's own placeholder syntax.
	Rebind(query string) string
}

// DB is an open service database.
type DB struct {
	*sql.DB
	// Dialect is the engine behind DB.
	Dialect Dialect
}

// ErrUnsupportedDSN is returned by Open for a DSN naming an engine this
// build cannot open.
var ErrUnsupportedDSN = errors.New("unsupported database DSN")

// Open opens the database named by dsn and applies every migration in
// migrations that has not been applied yet. A DSN is "sqlite:PATH" or a
// plain file path (SQLite); "postgres://…" is reserved for PostgreSQL and
// fails with ErrUnsupportedDSN until that engine is wired in.
func Open(ctx context.Context, dsn string, migrations fs.FS, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var db *DB
	var err error
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return nil, fmt.Errorf("open %s: %w (PostgreSQL is not wired in yet)", redact(dsn), ErrUnsupportedDSN)
	case strings.HasPrefix(dsn, "sqlite:"):
		db, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), o)
	case dsn == "":
		return nil, fmt.Errorf("open database: %w: empty DSN", ErrUnsupportedDSN)
	default:
		db, err = openSQLite(ctx, dsn, o)
	}
	if err != nil {
		return nil, err
	}
	if migrations != nil {
		if err := Migrate(ctx, db, migrations); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	return db, nil
}

// openSQLite opens (creating when needed) the SQLite file at path.
func openSQLite(ctx context.Context, path string, o options) (*DB, error) {
	if path == "" {
		return nil, fmt.Errorf("open sqlite: %w: empty path", ErrUnsupportedDSN)
	}
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite %s: create directory: %w", path, err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	sqldb, err := o.open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if path == ":memory:" {
		// Every connection to :memory: is a different database.
		sqldb.SetMaxOpenConns(1)
	}
	if err := sqldb.PingContext(ctx); err != nil {
		_ = sqldb.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &DB{DB: sqldb, Dialect: sqliteDialect{}}, nil
}

// InTx runs fn in a transaction, committing when fn returns nil and
// rolling back otherwise.
func (db *DB) InTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// Ping reports whether the database answers; services use it as a
// readiness check.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", db.Dialect.Name(), err)
	}
	return nil
}

// sqliteDialect is SQLite: '?' placeholders are native.
type sqliteDialect struct{}

func (sqliteDialect) Name() string               { return "sqlite" }
func (sqliteDialect) Rebind(query string) string { return query }

// redact hides a DSN's password.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}
