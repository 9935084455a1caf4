package shipping

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// sequence returns a tracking id source that yields ids in turn.
func sequence(ids ...string) func() string {
	i := 0
	return func() string {
		id := ids[i%len(ids)]
		i++
		return id
	}
}

func shipOrder(t *testing.T, svc *Service, orderID string) (shipment, bool, error) {
	t.Helper()
	n := newShipment{OrderID: orderID, Address: address{Name: "A", Street: "S", City: "C", PostalCode: "P", CountryCode: "US"},
		Items: []item{{ProductID: "mug", Quantity: 1, WeightGrams: 350}}, WeightGrams: 350}
	var sh shipment
	var created bool
	err := svc.store.db.InTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		sh, created, err = svc.shipper.ship(context.Background(), tx, n)
		return err
	})
	return sh, created, err
}

func TestTrackingIDCollisionsDrawAgain(t *testing.T) {
	svc := newTestService(t)
	svc.shipper.trackingID = sequence("BZ0000000001", "BZ0000000001", "BZ0000000001", "BZ0000000002")
	a, created, err := shipOrder(t, svc, "order-a")
	if err != nil || !created || a.TrackingID != "BZ0000000001" {
		t.Fatalf("first shipment = %v, %v, %v", a.TrackingID, created, err)
	}
	b, created, err := shipOrder(t, svc, "order-b")
	if err != nil || !created || b.TrackingID != "BZ0000000002" {
		t.Fatalf("second shipment = %v, %v, %v; want the next free id", b.TrackingID, created, err)
	}

	svc.shipper.trackingID = sequence("BZ0000000001", "BZ0000000002")
	if _, _, err := shipOrder(t, svc, "order-c"); err == nil {
		t.Fatal("shipping with every drawn id taken succeeded")
	}
	if n := count(t, svc.store.db.DB, `SELECT COUNT(*) FROM shipments`); n != 2 {
		t.Fatalf("%d shipments stored, want 2 (the failed one rolled back)", n)
	}
}

func TestStoreKeepsShipmentsAcrossRestart(t *testing.T) {
	storagetest.Run(t, testStoreKeepsShipmentsAcrossRestart)
}

func testStoreKeepsShipmentsAcrossRestart(t *testing.T, engine string) {
	ctx := context.Background()
	path := storagetest.DSN(t, engine, "shipping")
	svc, err := New(ctx, Config{DSN: path, Now: testNow}, Deps{}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sh, _, err := shipOrder(t, svc, "order-1")
	if err != nil {
		t.Fatalf("ship: %v", err)
	}
	if err := svc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	svc, err = New(ctx, Config{DSN: path, Now: func() time.Time { return testNow().Add(time.Hour) }}, Deps{}, nil)
	if err != nil {
		t.Fatalf("New again: %v", err)
	}
	defer svc.Close()
	got, err := svc.store.byTracking(ctx, svc.store.db, sh.TrackingID)
	if err != nil {
		t.Fatalf("byTracking: %v", err)
	}
	if got.ID != sh.ID || got.OrderID != "order-1" || len(got.Items) != 1 || got.Items[0] != sh.Items[0] || !got.CreateTime.Equal(testNow()) {
		t.Fatalf("after restart = %+v, want %+v", got, sh)
	}
	if _, err := svc.store.byOrder(ctx, svc.store.db, "order-2"); !errors.Is(err, errNotFound) {
		t.Fatalf("byOrder(unknown) error = %v, want errNotFound", err)
	}
}
