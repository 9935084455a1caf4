package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// TestUpOnPostgres runs the shop as separate processes with every
// stateful service on its own database of a real PostgreSQL (`up
// -postgres`): a purchase completes, `bazaar verify` passes, and the
// order is in the orders database, not in a SQLite file.
func TestUpOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes; runs in the full suite")
	}
	admin := storagetest.AdminDSN(t)
	prefix := fmt.Sprintf("bazaar_test_up_%d", time.Now().UnixNano())
	for _, s := range services() {
		if !s.edge {
			t.Cleanup(func() { storagetest.DropDatabase(t, admin, prefix+"_"+s.name) })
		}
	}
	server, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	server.Path = "/" + prefix
	bin := buildCLI(t)
	sh := startShop(t, bin, t.TempDir()+"/data", "-postgres", server.String())

	products := sh.products("")
	ada := newShopper(t, sh.url)
	ada.addToCart(products.Products[0].ID, 2)
	id := ada.checkout("pg-key-1", "ada@example.com", "4242424242424242")
	if got := ada.awaitOrder(id, 60*time.Second); got.GetStatus() != "CONFIRMED" {
		t.Fatalf("order = %v, want CONFIRMED", got)
	}
	sh.verify(bin)

	ordersDSN := *server
	ordersDSN.Path = "/" + prefix + "_orders"
	db, err := sql.Open("pgx", ordersDSN.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var status string
	if err := db.QueryRowContext(context.Background(), `SELECT status FROM orders WHERE id = $1`, id).Scan(&status); err != nil || status != "CONFIRMED" {
		t.Fatalf("order %s in the PostgreSQL orders database: %q, %v; want CONFIRMED", id, status, err)
	}
}
