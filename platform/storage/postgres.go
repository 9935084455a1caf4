package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// Pool and session defaults for PostgreSQL. A DSN may override each one:
// pool_max_conns (read here, not sent to the server) and the server
// settings statement_timeout, lock_timeout and
// idle_in_transaction_session_timeout (sent as given).
const (
	pgMaxConns    = 8
	pgMaxIdleTime = 5 * time.Minute
	pgMaxLifetime = 30 * time.Minute
)

// pgSessionDefaults are the server settings every connection gets unless
// the DSN names them: no statement, lock wait or forgotten transaction
// holds a connection (and its locks) for long.
var pgSessionDefaults = [][2]string{
	{"statement_timeout", "30s"},
	{"lock_timeout", "10s"},
	{"idle_in_transaction_session_timeout", "60s"},
}

// openPostgres opens the PostgreSQL database named by the URL dsn.
func openPostgres(ctx context.Context, dsn string, o options) (*DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w: malformed URL", ErrUnsupportedDSN)
	}
	name := u.Redacted()
	if strings.Trim(u.Path, "/") == "" {
		return nil, fmt.Errorf("open postgres %s: %w: no database name (one database per service)", name, ErrUnsupportedDSN)
	}
	q := u.Query()
	maxConns := pgMaxConns
	if v := q.Get("pool_max_conns"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("open postgres %s: %w: pool_max_conns %q is not a positive number", name, ErrUnsupportedDSN, v)
		}
		maxConns = n
		q.Del("pool_max_conns")
	}
	for _, kv := range pgSessionDefaults {
		if !q.Has(kv[0]) {
			q.Set(kv[0], kv[1])
		}
	}
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w: %v", name, ErrUnsupportedDSN, err)
	}
	sqldb := o.openConnector("pgx", stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(registerBoolAsInteger)))
	sqldb.SetMaxOpenConns(maxConns)
	sqldb.SetMaxIdleConns(maxConns)
	sqldb.SetConnMaxIdleTime(pgMaxIdleTime)
	sqldb.SetConnMaxLifetime(pgMaxLifetime)
	if err := sqldb.PingContext(ctx); err != nil {
		_ = sqldb.Close()
		return nil, fmt.Errorf("open postgres %s: %w", name, err)
	}
	if err := checkCollation(ctx, sqldb); err != nil {
		_ = sqldb.Close()
		return nil, fmt.Errorf("open postgres %s: %w", name, err)
	}
	return &DB{DB: sqldb, Dialect: postgresDialect{}}, nil
}

// checkCollation refuses a database whose text order is not byte order.
// Services compare and page by text keys (RFC 3339 times, ids) and expect
// the order SQLite and Go use; a language collation such as en_US ignores
// punctuation and would reorder them.
func checkCollation(ctx context.Context, db *sql.DB) error {
	var coll string
	if err := db.QueryRowContext(ctx, `SELECT datcollate FROM pg_database WHERE datname = current_database()`).Scan(&coll); err != nil {
		return fmt.Errorf("read collation: %w", err)
	}
	switch strings.ToLower(coll) {
	case "c", "posix", "c.utf8", "c.utf-8":
		return nil
	}
	return fmt.Errorf("database collation is %q, want C: create it with CREATE DATABASE … TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'", coll)
}

// postgresDialect is PostgreSQL: placeholders are $1, $2, ….
type postgresDialect struct{}

func (postgresDialect) Name() string { return "postgres" }

// Rebind numbers the '?' placeholders of query as $1, $2, …, leaving any
// '?' inside a quoted string, a quoted identifier or a comment alone.
func (postgresDialect) Rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// retryable reports whether err is PostgreSQL giving up a transaction that
// may succeed when run again: a serialization failure or a deadlock.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// registerBoolAsInteger lets a Go bool be written to an integer column as
// 1 or 0, as SQLite's driver does: the schemas keep flags as integers
// with CHECK (x IN (0, 1)), the one spelling both engines accept.
func registerBoolAsInteger(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	for _, name := range []string{"int8", "int4", "int2"} {
		t, ok := m.TypeForName(name)
		if !ok {
			return fmt.Errorf("register bool encoding: no type %s", name)
		}
		m.RegisterType(&pgtype.Type{Name: t.Name, OID: t.OID, Codec: boolAsInteger{t.Codec}})
	}
	return nil
}

// boolAsInteger is an integer codec that also encodes a bool (1 or 0).
type boolAsInteger struct{ pgtype.Codec }

// PlanEncode plans a bool as the int64 1 or 0, anything else as the
// integer codec does.
func (c boolAsInteger) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(bool); !ok {
		return c.Codec.PlanEncode(m, oid, format, value)
	}
	next := m.PlanEncode(oid, format, int64(0))
	if next == nil {
		return nil
	}
	return boolEncodePlan{next}
}

// boolEncodePlan encodes a bool with the int64 plan next.
type boolEncodePlan struct{ next pgtype.EncodePlan }

func (p boolEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	var n int64
	if value.(bool) {
		n = 1
	}
	return p.next.Encode(n, buf)
}
