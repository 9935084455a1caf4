package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// Q runs statements on the database and inside a transaction, prepared
// once on SQLite, with the same results as unprepared ones: a rolled back
// transaction leaves nothing, and queries past the cache's bound still
// run.
func TestQuerier(t *testing.T) {
	storagetest.Run(t, testQuerier)
}

func testQuerier(t *testing.T, engine string) {
	ctx := context.Background()
	db, err := Open(ctx, storagetest.DSN(t, engine, "svc"), os.DirFS("testdata/migrations"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const insert = `INSERT INTO items (id, qty) VALUES (?, ?)`
	qtyOf := func(q Querier, id string) (int, error) {
		var n int
		err := q.QueryRowContext(ctx, `SELECT qty FROM items WHERE id = ?`, id).Scan(&n)
		return n, err
	}

	for i := range 3 { // the second and third run reuse the statement
		if _, err := db.Q(nil).ExecContext(ctx, insert, fmt.Sprintf("a%d", i), i); err != nil {
			t.Fatalf("insert a%d: %v", i, err)
		}
		if n, err := qtyOf(db.Q(nil), fmt.Sprintf("a%d", i)); err != nil || n != i {
			t.Fatalf("qty of a%d = %d, %v; want %d", i, n, err, i)
		}
	}
	errRollback := errors.New("roll back")
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.Q(tx).ExecContext(ctx, insert, "b", 5); err != nil {
			return err
		}
		if n, err := qtyOf(db.Q(tx), "b"); err != nil || n != 5 {
			return fmt.Errorf("qty of b inside the transaction = %d, %v; want 5", n, err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v, want %v", err, errRollback)
	}
	if _, err := qtyOf(db.Q(nil), "b"); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("qty of b after the rollback: %v, want %v", err, sql.ErrNoRows)
	}
	rows, err := db.Q(nil).QueryContext(ctx, `SELECT id FROM items WHERE qty >= ? ORDER BY id`, 1)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != "[a1 a2]" {
		t.Fatalf("ids = %v, want [a1 a2]", ids)
	}
	// More distinct queries than the cache holds all run.
	for i := range maxCachedStmts + 10 {
		var n int
		if err := db.Q(nil).QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + qty FROM items WHERE id = ?`, i), "a2").Scan(&n); err != nil || n != i+2 {
			t.Fatalf("query %d = %d, %v; want %d", i, n, err, i+2)
		}
	}
	if db.stmts != nil && len(db.stmts.stmts) > maxCachedStmts {
		t.Fatalf("%d statements cached, more than %d", len(db.stmts.stmts), maxCachedStmts)
	}
	// A statement that does not prepare reports its error when run.
	if _, err := db.Q(nil).ExecContext(ctx, `INSERT INTO no_such_table (id) VALUES (?)`, "x"); err == nil {
		t.Fatal("insert into a missing table: no error")
	}
}
