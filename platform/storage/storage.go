// Package storage opens a service's own SQL database and brings its schema
// up to date with the service's embedded, versioned migrations.
//
// SQLite (modernc.org/sqlite, pure Go) is the default: one file per service
// in WAL mode with synchronous=FULL, so a committed transaction survives a
// power cut. PostgreSQL (pgx) is chosen by a "postgres://" DSN, one
// database per service, when Bazaar is scaled out to several machines.
// Services write queries with '?' placeholders and run them through the
// Dialect's Rebind; InTx gives both engines the same guarantee, that
// transactions behave as if run one at a time (SQLite: BEGIN IMMEDIATE;
// PostgreSQL: SERIALIZABLE, retried on a serialization failure).
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	// stmts are the statements Q prepared; nil for none (PostgreSQL).
	stmts *stmtCache
}

// ErrUnsupportedDSN is returned by Open for a DSN naming an engine this
// build cannot open.
var ErrUnsupportedDSN = errors.New("unsupported database DSN")

// Open opens the database named by dsn and applies every migration in
// migrations that has not been applied yet. A DSN is "sqlite:PATH" or a
// plain file path (SQLite), or "postgres://user:pass@host:5432/db?…"
// (PostgreSQL; see openPostgres for the pool and timeout settings).
func Open(ctx context.Context, dsn string, migrations fs.FS, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var db *DB
	var err error
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = openPostgres(ctx, dsn, o)
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
	stmts := &stmtCache{stmts: map[string]*sql.Stmt{}}
	if path == ":memory:" {
		// Every connection to :memory: is a different database.
		sqldb.SetMaxOpenConns(1)
		// Q prepares a statement on the database before it binds it to a
		// transaction: with one connection, held by the transaction,
		// that would wait forever.
		stmts = nil
	}
	if err := sqldb.PingContext(ctx); err != nil {
		_ = sqldb.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &DB{DB: sqldb, Dialect: sqliteDialect{}, stmts: stmts}, nil
}

// maxTxAttempts bounds how often InTx runs a transaction that PostgreSQL
// keeps refusing for conflicts with concurrent ones.
const maxTxAttempts = 10

// InTx runs fn in a transaction, committing when fn returns nil and
// rolling back otherwise. Transactions are serializable on both engines:
// SQLite takes the write lock at BEGIN; PostgreSQL runs them SERIALIZABLE
// and InTx runs fn again (up to maxTxAttempts times, after a short
// backoff) when the engine refuses it for a conflict with a concurrent
// transaction. fn may therefore run more than once: it must set, not
// accumulate, whatever it hands back to its caller.
func (db *DB) InTx(ctx context.Context, fn func(*sql.Tx) error) error {
	var opts *sql.TxOptions
	if db.Dialect.Name() == "postgres" {
		opts = &sql.TxOptions{Isolation: sql.LevelSerializable}
	}
	for attempt := 1; ; attempt++ {
		err := db.runTx(ctx, opts, fn)
		if err == nil || !retryable(err) || attempt == maxTxAttempts {
			return err
		}
		// Backoff grows with the attempts, jittered so that the
		// transactions that collided do not collide again.
		d := time.Duration(attempt*attempt) * time.Millisecond
		t := time.NewTimer(d + rand.N(d))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// runTx is one attempt of InTx.
func (db *DB) runTx(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
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

// InSchemaTx runs fn in a transaction that holds the database's schema
// lock, so replicas starting together change the schema one at a time
// (SQLite: the write lock every transaction takes; PostgreSQL: a
// transaction-scoped advisory lock, since CREATE TABLE IF NOT EXISTS
// races there).
func (db *DB) InSchemaTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.runTx(ctx, nil, func(tx *sql.Tx) error {
		if db.Dialect.Name() == "postgres" {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLockKey); err != nil {
				return fmt.Errorf("take schema lock: %w", err)
			}
		}
		return fn(tx)
	})
}

// schemaLockKey is the PostgreSQL advisory lock that InSchemaTx holds; any
// constant works, since each service has a database of its own.
const schemaLockKey = 0x42617a61 // "Baza"

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
