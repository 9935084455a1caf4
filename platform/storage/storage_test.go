package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

func TestOpenAppliesMigrationsOnceAndKeepsData(t *testing.T) {
	storagetest.Run(t, testOpenAppliesMigrationsOnceAndKeepsData)
}

func testOpenAppliesMigrationsOnceAndKeepsData(t *testing.T, engine string) {
	ctx := context.Background()
	dsn := storagetest.DSN(t, engine, "svc")
	migs := os.DirFS("testdata/migrations")

	db, err := Open(ctx, dsn, migs)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO items (id, qty, note) VALUES ('a', 3, 'x')`); err != nil {
		t.Fatalf("insert: %v", err)
	}
	if v, err := SchemaVersion(ctx, db); err != nil || v != 2 {
		t.Fatalf("SchemaVersion = %d, %v; want 2", v, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, dsn, migs) // second open: nothing re-applied
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	var qty int
	if err := db.QueryRowContext(ctx, `SELECT qty FROM items WHERE id = 'a'`).Scan(&qty); err != nil || qty != 3 {
		t.Fatalf("after reopen qty = %d, %v; want 3", qty, err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("schema_migrations rows = %d, %v; want 2", n, err)
	}
	if engine == "sqlite" {
		checkSQLitePragmas(t, db)
	}
}

// A plain path is a SQLite file, created with its directory.
func TestOpenPlainPathIsSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "svc.db")
	db, err := Open(ctx, path, os.DirFS("testdata/migrations"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect.Name() != "sqlite" {
		t.Errorf("dialect = %s, want sqlite", db.Dialect.Name())
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
	checkSQLitePragmas(t, db)
}

// checkSQLitePragmas checks the durability settings of a SQLite database.
func checkSQLitePragmas(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var sync int
	if err := db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil || sync != 2 {
		t.Errorf("synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
}

func TestFailedMigrationLeavesNothingHalfDone(t *testing.T) {
	storagetest.Run(t, testFailedMigrationLeavesNothingHalfDone)
}

func testFailedMigrationLeavesNothingHalfDone(t *testing.T, engine string) {
	ctx := context.Background()
	path := storagetest.DSN(t, engine, "svc")
	migs := fstest.MapFS{
		"0001_ok.sql":     {Data: []byte(`CREATE TABLE a (id INTEGER PRIMARY KEY);`)},
		"0002_broken.sql": {Data: []byte(`CREATE TABLE b (id INTEGER PRIMARY KEY); INSERT INTO nowhere VALUES (1);`)},
	}
	_, err := Open(ctx, path, migs)
	if err == nil || !strings.Contains(err.Error(), "0002_broken.sql") {
		t.Fatalf("Open error = %v, want one naming 0002_broken.sql", err)
	}
	db, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := SchemaVersion(ctx, db); v != 1 {
		t.Errorf("schema version = %d, want 1", v)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM b`).Scan(&n); err == nil {
		t.Error("table b of the failed migration exists")
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	tests := map[string]fstest.MapFS{
		"no number":           {"init.sql": {Data: []byte("")}},
		"not sql":             {"0001_init.txt": {Data: []byte("")}},
		"zero":                {"0000_init.sql": {Data: []byte("")}},
		"same version":        {"0001_a.sql": {Data: []byte("")}, "1_b.sql": {Data: []byte("")}},
		"unknown engine":      {"0001_init.mysql.sql": {Data: []byte("")}},
		"one engine only":     {"0001_init.postgres.sql": {Data: []byte("")}},
		"portable and engine": {"0001_init.sql": {Data: []byte("")}, "0001_init.sqlite.sql": {Data: []byte("")}, "0001_init.postgres.sql": {Data: []byte("")}},
		"engine twice":        {"0001_a.sqlite.sql": {Data: []byte("")}, "0001_b.sqlite.sql": {Data: []byte("")}, "0001_a.postgres.sql": {Data: []byte("")}},
	}
	for name, fsys := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadMigrations(fsys, "sqlite"); err == nil {
				t.Error("LoadMigrations succeeded, want error")
			}
		})
	}
}

// Each engine gets its own file of a version that has engine files, and
// the portable file of every other version.
func TestLoadMigrationsPicksTheEngineFile(t *testing.T) {
	fsys := fstest.MapFS{
		"0001_init.sqlite.sql":   {Data: []byte("s1")},
		"0001_init.postgres.sql": {Data: []byte("p1")},
		"0002_more.sql":          {Data: []byte("both")},
	}
	for engine, want := range map[string]string{"sqlite": "s1", "postgres": "p1"} {
		ms, err := LoadMigrations(fsys, engine)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 2 || ms[0].SQL != want || ms[0].Version != 1 || ms[1].SQL != "both" || ms[1].Version != 2 {
			t.Errorf("%s: migrations = %+v, want version 1 %q then 2 \"both\"", engine, ms, want)
		}
	}
}

func TestMigrateRefusesDowngrade(t *testing.T) {
	storagetest.Run(t, testMigrateRefusesDowngrade)
}

func testMigrateRefusesDowngrade(t *testing.T, engine string) {
	ctx := context.Background()
	path := storagetest.DSN(t, engine, "svc")
	db, err := Open(ctx, path, os.DirFS("testdata/migrations"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	old := fstest.MapFS{"0001_items.sql": {Data: []byte("CREATE TABLE items (id TEXT);")}}
	if _, err := Open(ctx, path, old); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open with older migrations = %v, want downgrade error", err)
	}
}

func TestOpenRejectsUnsupportedDSN(t *testing.T) {
	for _, dsn := range []string{"", "postgres://u:secret@db", "postgresql://u:secret@db/", "sqlite:", "postgres://u:secret@db/x?pool_max_conns=0"} {
		_, err := Open(context.Background(), dsn, nil)
		if !errors.Is(err, ErrUnsupportedDSN) {
			t.Errorf("Open(%q) = %v, want ErrUnsupportedDSN", dsn, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error leaks the password: %v", dsn, err)
		}
	}
}

// Two handles on one file stand in for two replicas of a service: their
// read-then-write transactions must serialise, not fail with SQLITE_BUSY.
func TestConcurrentReadModifyWriteFromTwoHandles(t *testing.T) {
	storagetest.Run(t, testConcurrentReadModifyWriteFromTwoHandles)
}

func testConcurrentReadModifyWriteFromTwoHandles(t *testing.T, engine string) {
	ctx := context.Background()
	path := storagetest.DSN(t, engine, "svc")
	migs := os.DirFS("testdata/migrations")
	a, err := Open(ctx, path, migs)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path, migs)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.ExecContext(ctx, `INSERT INTO items (id, qty) VALUES ('c', 0)`); err != nil {
		t.Fatal(err)
	}
	const perHandle = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*perHandle)
	for _, db := range []*DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perHandle {
				errs <- db.InTx(ctx, func(tx *sql.Tx) error {
					var q int
					if err := tx.QueryRowContext(ctx, `SELECT qty FROM items WHERE id = 'c'`).Scan(&q); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, db.Dialect.Rebind(`UPDATE items SET qty = ? WHERE id = 'c'`), q+1)
					return err
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("transaction failed: %v", err)
		}
	}
	var q int
	if err := a.QueryRowContext(ctx, `SELECT qty FROM items WHERE id = 'c'`).Scan(&q); err != nil || q != 2*perHandle {
		t.Fatalf("qty = %d, %v; want %d (lost update)", q, err, 2*perHandle)
	}
}

func TestInTxRollsBackOnError(t *testing.T) {
	storagetest.Run(t, testInTxRollsBackOnError)
}

func testInTxRollsBackOnError(t *testing.T, engine string) {
	ctx := context.Background()
	db, err := Open(ctx, storagetest.DSN(t, engine, "svc"), os.DirFS("testdata/migrations"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	boom := errors.New("boom")
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO items (id, qty) VALUES ('x', 1)`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	var n int
	_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM items`).Scan(&n)
	if n != 0 {
		t.Errorf("rolled-back insert is visible: %d rows", n)
	}
}

// Replicas starting together on a new file must not both apply a migration.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	storagetest.Run(t, testConcurrentOpenMigratesOnce)
}

func testConcurrentOpenMigratesOnce(t *testing.T, engine string) {
	ctx := context.Background()
	path := storagetest.DSN(t, engine, "svc")
	migs := os.DirFS("testdata/migrations")
	const n = 4
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, path, migs)
			if err == nil {
				err = db.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
}

func TestPostgresRebind(t *testing.T) {
	tests := map[string]string{
		`SELECT 1`:                                               `SELECT 1`,
		`SELECT a FROM t WHERE a = ? AND b = ?`:                  `SELECT a FROM t WHERE a = $1 AND b = $2`,
		`SELECT '?', "q?" FROM t WHERE a = ?`:                    `SELECT '?', "q?" FROM t WHERE a = $1`,
		`SELECT 'it''s?' WHERE a LIKE ? ESCAPE '\'`:              `SELECT 'it''s?' WHERE a LIKE $1 ESCAPE '\'`,
		"SELECT ? -- why?\nFROM t WHERE b = ?":                   "SELECT $1 -- why?\nFROM t WHERE b = $2",
		`INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`: `INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		`SELECT 'unterminated ?`:                                 `SELECT 'unterminated ?`,
	}
	for in, want := range tests {
		if got := (postgresDialect{}).Rebind(in); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

// A Go bool goes into an integer column as 1 or 0 and scans back into a
// bool, on both engines.
func TestBoolsAreStoredAsIntegers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db, err := Open(ctx, storagetest.DSN(t, engine, "svc"), os.DirFS("testdata/migrations"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for id, v := range map[string]bool{"yes": true, "no": false} {
			if _, err := db.ExecContext(ctx, db.Dialect.Rebind(`INSERT INTO items (id, qty) VALUES (?, ?)`), id, v); err != nil {
				t.Fatalf("insert %v: %v", v, err)
			}
			var n int
			var b bool
			if err := db.QueryRowContext(ctx, db.Dialect.Rebind(`SELECT qty, qty FROM items WHERE id = ?`), id).Scan(&n, &b); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 1, false: 0}[v]; n != want || b != v {
				t.Errorf("%v stored as %d, read back as %v", v, n, b)
			}
		}
	})
}

// EnsurePostgresDatabase creates a database Open accepts, and a second
// call finds it.
func TestEnsurePostgresDatabase(t *testing.T) {
	ctx := context.Background()
	admin := storagetest.AdminDSN(t)
	name := fmt.Sprintf("bazaar_test_ensure_%d", time.Now().UnixNano())
	t.Cleanup(func() { storagetest.DropDatabase(t, admin, name) })
	var dsn string
	for range 2 {
		var err error
		if dsn, err = EnsurePostgresDatabase(ctx, admin, name); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(ctx, dsn, os.DirFS("testdata/migrations"))
	if err != nil {
		t.Fatalf("Open(%s): %v", dsn, err)
	}
	db.Close()
	for _, bad := range []string{"Upper", "semi;colon", ""} {
		if _, err := EnsurePostgresDatabase(ctx, admin, bad); err == nil {
			t.Errorf("EnsurePostgresDatabase(%q) succeeded", bad)
		}
	}
}
