// Package storagetest runs a service's store tests against every SQL
// engine platform/storage supports: SQLite in a temporary file, and a real
// PostgreSQL, with a fresh database per test that is dropped afterwards.
//
// The PostgreSQL server is named by the environment variable
// BAZAAR_TEST_POSTGRES (the DSN of a superuser, "postgres://…"), or else
// by the file "dsn" that scripts/test-postgres.sh (run by `make deps`)
// writes in its cluster directory (BAZAAR_PG_DIR, default
// /var/tmp/bazaar-test-postgres). When neither names a server the
// PostgreSQL leg fails, saying how to start one; only under -short does it
// skip instead.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the admin connection
)

// Engines are the engine names Run and DSN know.
var Engines = []string{"sqlite", "postgres"}

// EnvDSN names the environment variable holding the superuser DSN of the
// PostgreSQL server to test against.
const EnvDSN = "BAZAAR_TEST_POSTGRES"

// Run runs test once per engine, as subtests named after the engines.
func Run(t *testing.T, test func(t *testing.T, engine string)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) { test(t, e) })
	}
}

// DSN returns the DSN of a new, empty database of engine ("sqlite" or
// "postgres") for t, removed when t ends. name makes the database
// recognisable (a service name); opening the DSN twice opens the same
// database, as a restart or a second replica would.
func DSN(t testing.TB, engine, name string) string {
	t.Helper()
	switch engine {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), name+".db")
	case "postgres":
		return postgresDSN(t, name)
	}
	t.Fatalf("storagetest: unknown engine %q (want one of %v)", engine, Engines)
	return ""
}

// postgresDSN creates a database on the test server and returns its DSN.
func postgresDSN(t testing.TB, name string) string {
	t.Helper()
	admin := AdminDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("storagetest: open %s: %v", redacted(admin), err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("storagetest: PostgreSQL at %s does not answer (%v); %s", redacted(admin), err, howToStart)
	}
	// The same statement as storage.EnsurePostgresDatabase, which this
	// package cannot import: storage's own tests use storagetest.
	dbName := databaseName(name)
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+dbName+` TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`); err != nil {
		t.Fatalf("storagetest: create database %s: %v", dbName, err)
	}
	t.Cleanup(func() { DropDatabase(t, admin, dbName) })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("storagetest: parse %s: %v", redacted(admin), err)
	}
	u.Path = "/" + dbName
	return u.String()
}

// AdminDSN returns the superuser DSN of the test PostgreSQL server, for a
// test that creates databases itself (`bazaar up -postgres`). It fails t,
// or skips it under -short, when there is no server, like DSN.
func AdminDSN(t testing.TB) string {
	t.Helper()
	admin, err := adminDSN()
	if err != nil {
		if testing.Short() {
			t.Skipf("storagetest: no PostgreSQL (%v); skipped under -short", err)
		}
		t.Fatalf("storagetest: %v", err)
	}
	return admin
}

// DropDatabase removes a test database from the server of admin,
// disconnecting whatever still uses it (a handle the test forgot to close
// must not leak the database).
func DropDatabase(t testing.TB, admin, dbName string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Errorf("storagetest: drop %s: %v", dbName, err)
		return
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+dbName+` WITH (FORCE)`); err != nil {
		t.Errorf("storagetest: drop %s: %v", dbName, err)
	}
}

const howToStart = "start one with `bash scripts/test-postgres.sh` (what `make deps` runs) or set " + EnvDSN + "=postgres://user:pass@host:5432/postgres?sslmode=disable (a superuser)"

// adminDSN finds the test server's superuser DSN.
func adminDSN() (string, error) {
	if v := strings.TrimSpace(os.Getenv(EnvDSN)); v != "" {
		return v, nil
	}
	dir := os.Getenv("BAZAAR_PG_DIR")
	if dir == "" {
		dir = "/var/tmp/bazaar-test-postgres"
	}
	b, err := os.ReadFile(filepath.Join(dir, "dsn"))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("no PostgreSQL to test against: %s is unset and %s does not exist; %s", EnvDSN, filepath.Join(dir, "dsn"), howToStart)
	}
	if err != nil {
		return "", fmt.Errorf("read PostgreSQL DSN: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// databaseName makes a unique, valid, unquoted identifier from name.
func databaseName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if len(s) > 30 {
		s = s[:30]
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	return "bazaar_test_" + s + "_" + hex.EncodeToString(rnd[:])
}

// redacted hides a DSN's password.
func redacted(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(malformed DSN)"
	}
	return u.Redacted()
}
