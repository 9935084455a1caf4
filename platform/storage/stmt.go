package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// maxCachedStmts bounds how many statements a DB keeps prepared; queries
// past it run unprepared. Services run a fixed set of query texts, far
// fewer than this; the bound only stops a query built from input (an IN
// list of any length) from growing the cache without end.
const maxCachedStmts = 256

// stmtCache holds a DB's prepared statements by query text.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// Querier runs statements on a DB, or in one of its transactions, each
// prepared once and then reused, so a hot path does not pay SQLite's
// parser on every call. It rebinds queries written with '?'
// placeholders itself. On PostgreSQL it runs them as given: the pgx
// driver caches prepared statements per connection already.
//
// A prepared statement runs one query at a time on a connection: inside a
// transaction, do not run a query again while the rows of its previous
// run are still open (read them all first).
type Querier struct {
	db *DB
	tx *sql.Tx
}

// Q returns a Querier running statements on db, or inside tx when tx is
// not nil.
func (db *DB) Q(tx *sql.Tx) Querier {
	return Querier{db: db, tx: tx}
}

// QueryContext runs a query that returns rows.
func (q Querier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = q.db.Dialect.Rebind(query)
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	if q.tx != nil {
		return q.tx.QueryContext(ctx, query, args...)
	}
	return q.db.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query that returns at most one row.
func (q Querier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	query = q.db.Dialect.Rebind(query)
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	if q.tx != nil {
		return q.tx.QueryRowContext(ctx, query, args...)
	}
	return q.db.DB.QueryRowContext(ctx, query, args...)
}

// ExecContext runs a statement that returns no rows.
func (q Querier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = q.db.Dialect.Rebind(query)
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	if q.tx != nil {
		return q.tx.ExecContext(ctx, query, args...)
	}
	return q.db.DB.ExecContext(ctx, query, args...)
}

// stmt returns the prepared statement for query, bound to the Querier's
// transaction if it has one, or nil when query is to run unprepared: on
// PostgreSQL, with the cache full, or when preparing failed (running it
// unprepared then reports the error, if it persists).
func (q Querier) stmt(ctx context.Context, query string) *sql.Stmt {
	st := q.db.stmts.get(ctx, q.db.DB, query)
	if st == nil || q.tx == nil {
		return st
	}
	return q.tx.StmtContext(ctx, st)
}

// get returns the statement for query, preparing it on db the first time;
// nil when c is nil (no cache), full, or the statement does not prepare.
func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxCachedStmts
	c.mu.Unlock()
	if ok || full {
		return st
	}
	// Prepare without the lock: preparing waits for a connection.
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok {
		_ = st.Close() // another call prepared it meanwhile
		return prev
	}
	if len(c.stmts) >= maxCachedStmts {
		_ = st.Close()
		return nil
	}
	c.stmts[query] = st
	return st
}

// close closes every cached statement.
func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for query, st := range c.stmts {
		if err := st.Close(); err != nil && first == nil {
			first = fmt.Errorf("close prepared statement %q: %w", query, err)
		}
		delete(c.stmts, query)
	}
	return first
}

// Close closes the cached prepared statements and then the database.
func (db *DB) Close() error {
	serr := db.stmts.close()
	if err := db.DB.Close(); err != nil {
		return err
	}
	return serr
}
