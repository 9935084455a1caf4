package storage

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one versioned schema change: a file "NNNN_name.sql", or,
// where the engines need different SQL, the engine's own
// "NNNN_name.sqlite.sql" or "NNNN_name.postgres.sql".
type Migration struct {
	// Version is the number the file name starts with; unique, > 0.
	Version int
	// Name is the file name.
	Name string
	// SQL is the file's statements.
	SQL string
}

// engines are the names a migration file may carry before ".sql".
var engines = []string{"sqlite", "postgres"}

// LoadMigrations reads the migrations for the engine named dialect ("sqlite"
// or "postgres") at the root of fsys, sorted by version. A version is one
// portable file, "NNNN_name.sql", or one file per engine,
// "NNNN_name.sqlite.sql" and "NNNN_name.postgres.sql", never a mix, so a
// schema change cannot reach one engine and miss the other. Other files
// are an error, so a misnamed migration is never silently skipped.
func LoadMigrations(fsys fs.FS, dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	files := map[int]map[string]string{} // version → engine ("" portable) → name
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		v, engine, err := parseMigrationName(e.Name())
		if err != nil {
			return nil, err
		}
		if files[v] == nil {
			files[v] = map[string]string{}
		}
		if prev, dup := files[v][engine]; dup {
			return nil, fmt.Errorf("read migrations: %q and %q share version %d", prev, e.Name(), v)
		}
		files[v][engine] = e.Name()
	}
	var ms []Migration
	for v, byEngine := range files {
		name, err := pickMigration(v, byEngine, dialect)
		if err != nil {
			return nil, err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// parseMigrationName splits "NNNN_name[.engine].sql" into its version and
// engine ("" for a portable file).
func parseMigrationName(name string) (int, string, error) {
	num, rest, ok := strings.Cut(name, "_")
	v, err := strconv.Atoi(num)
	if !ok || err != nil || v <= 0 || !strings.HasSuffix(rest, ".sql") {
		return 0, "", fmt.Errorf("read migrations: %q is not named NNNN_name.sql", name)
	}
	stem := strings.TrimSuffix(rest, ".sql")
	for _, e := range engines {
		if strings.HasSuffix(stem, "."+e) {
			return v, e, nil
		}
	}
	if strings.Contains(stem, ".") {
		return 0, "", fmt.Errorf("read migrations: %q names no engine of %v", name, engines)
	}
	return v, "", nil
}

// pickMigration chooses the file of version v for dialect.
func pickMigration(v int, byEngine map[string]string, dialect string) (string, error) {
	if portable, ok := byEngine[""]; ok {
		if len(byEngine) > 1 {
			return "", fmt.Errorf("read migrations: version %d has both a portable file (%s) and engine files", v, portable)
		}
		return portable, nil
	}
	for _, e := range engines {
		if _, ok := byEngine[e]; !ok {
			return "", fmt.Errorf("read migrations: version %d has engine files but none for %s", v, e)
		}
	}
	return byEngine[dialect], nil
}

// Migrate applies, in order and each in its own transaction, every
// migration of fsys newer than the database's schema version. It refuses
// a database whose schema is newer than the code (a downgrade). Replicas
// starting together apply each migration once: every step runs under
// InSchemaTx.
func Migrate(ctx context.Context, db *DB, fsys fs.FS) error {
	ms, err := LoadMigrations(fsys, db.Dialect.Name())
	if err != nil {
		return err
	}
	err = db.InSchemaTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	current, err := SchemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if n := len(ms); n > 0 && current > ms[n-1].Version {
		return fmt.Errorf("migrate: database schema version %d is newer than this binary's %d", current, ms[n-1].Version)
	}
	for _, m := range ms {
		if m.Version <= current {
			continue
		}
		if err := db.InSchemaTx(ctx, func(tx *sql.Tx) error { return apply(ctx, db, tx, m) }); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", m.Name, err)
		}
	}
	return nil
}

// apply runs m in tx unless another process (a replica starting at the
// same time) applied it since we looked: tx holds the schema lock, so this
// second look is authoritative.
func apply(ctx context.Context, db *DB, tx *sql.Tx, m Migration) error {
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return err
	}
	if int(v.Int64) >= m.Version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, db.Dialect.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.Version, m.Name, time.Now().UTC().Format(time.RFC3339Nano))
	return err
}

// SchemaVersion returns the highest migration applied, 0 for none.
func SchemaVersion(ctx context.Context, db *DB) (int, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}
