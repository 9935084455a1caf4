package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/internal/natsserver"
	"github.com/bazaar-shop/bazaar/platform/storage"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startNATS(t *testing.T, addr, dir string) *natsserver.Server {
	t.Helper()
	s, err := natsserver.Start(natsserver.Config{Addr: addr, StoreDir: dir, Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openDB(t *testing.T, engine, name string) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), storagetest.DSN(t, engine, name), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(context.Background(), db); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	return db
}

func testTelemetry() Telemetry {
	return Telemetry{Tracer: sdktrace.NewTracerProvider(), Propagator: propagation.TraceContext{}}
}

func connect(t *testing.T, url string) *Bus {
	t.Helper()
	b, err := Connect(url, BusOptions{Name: t.Name(), Telemetry: testTelemetry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// recorder is a handler that records the orders it saw, with a switch to
// fail.
type recorder struct {
	mu      sync.Mutex
	seen    []string
	traces  []string
	failFor map[string]int // order id -> failures left
	poison  string
	db      *storage.DB // the consumer's database
}

func (r *recorder) handle(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) error {
	var p eventsv1.OrderPlaced
	if err := Unpack(env, &p); err != nil {
		return Permanent(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.GetOrderId() == r.poison {
		return Permanent(errors.New("cannot apply"))
	}
	if r.failFor[p.GetOrderId()] > 0 {
		r.failFor[p.GetOrderId()]--
		return errors.New("not yet")
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS applied (order_id TEXT)`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, r.db.Dialect.Rebind(`INSERT INTO applied VALUES (?)`), p.GetOrderId()); err != nil {
		return err
	}
	r.seen = append(r.seen, p.GetOrderId())
	r.traces = append(r.traces, trace.SpanContextFromContext(ctx).TraceID().String())
	return nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

func addEvents(t *testing.T, ctx context.Context, db *storage.DB, o *Outbox, ids ...string) {
	t.Helper()
	for _, id := range ids {
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := o.Add(ctx, tx, "order.placed", id, &eventsv1.OrderPlaced{OrderId: id})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	o.Notify()
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countApplied(t *testing.T, db *storage.DB) int {
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM applied`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The whole path: outbox row in a transaction, relay, JetStream, consumer,
// inbox; trace context carried from producer to consumer.
func TestOutboxToConsumerCarriesTraceAndAppliesOnce(t *testing.T) {
	storagetest.Run(t, testOutboxToConsumerCarriesTraceAndAppliesOnce)
}

func testOutboxToConsumerCarriesTraceAndAppliesOnce(t *testing.T, engine string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := startNATS(t, "127.0.0.1:0", t.TempDir())
	defer srv.Shutdown()
	bus := connect(t, srv.ClientURL())
	producerDB, consumerDB := openDB(t, engine, "orders"), openDB(t, engine, "shipping")
	tel := testTelemetry()
	out := NewOutbox(producerDB, "orders", tel)
	rec := &recorder{db: consumerDB}
	go func() { _ = out.Relay(ctx, bus) }()
	go func() {
		_ = bus.Consume(ctx, consumerDB, Subscription{Consumer: "shipping-orders", Producer: "orders", Types: []string{"order.placed"}}, rec.handle)
	}()

	tctx, span := tel.Tracer.Tracer("test").Start(ctx, "checkout")
	addEvents(t, tctx, producerDB, out, "o1", "o2", "o3")
	span.End()
	// A rolled-back change publishes nothing.
	_ = producerDB.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := out.Add(ctx, tx, "order.placed", "ghost", &eventsv1.OrderPlaced{OrderId: "ghost"}); err != nil {
			return err
		}
		return errors.New("rollback")
	})

	waitUntil(t, "three events applied", func() bool { return len(rec.got()) == 3 })
	if got := rec.got(); fmt.Sprint(got) != "[o1 o2 o3]" {
		t.Errorf("applied %v, want [o1 o2 o3] in order", got)
	}
	want := span.SpanContext().TraceID().String()
	for _, tr := range rec.traces {
		if tr != want {
			t.Errorf("consumer span in trace %s, want the producer's %s", tr, want)
		}
	}
	waitUntil(t, "outbox drained", func() bool { n, _ := out.Pending(ctx); return n == 0 })
	time.Sleep(300 * time.Millisecond)
	if got := rec.got(); len(got) != 3 {
		t.Errorf("rolled-back event was delivered: %v", got)
	}
}

// Redelivery of an applied event (a relay that published twice with a new
// message, or JetStream redelivering) changes nothing.
func TestApplyOnceSkipsDuplicates(t *testing.T) {
	storagetest.Run(t, testApplyOnceSkipsDuplicates)
}

func testApplyOnceSkipsDuplicates(t *testing.T, engine string) {
	ctx := context.Background()
	db := openDB(t, engine, "svc")
	rec := &recorder{db: db}
	env := &eventsv1.Envelope{EventId: "e1", Type: "order.placed"}
	any, _ := pack(&eventsv1.OrderPlaced{OrderId: "o1"})
	env.Payload = any
	for i, want := range []bool{true, false, false} {
		applied, err := ApplyOnce(ctx, db, "c", env, rec.handle)
		if err != nil || applied != want {
			t.Fatalf("apply #%d = %v, %v; want %v", i+1, applied, err, want)
		}
	}
	if n := countApplied(t, db); n != 1 {
		t.Errorf("effects applied %d times, want 1", n)
	}
	// Another consumer in the same database has its own inbox.
	if applied, err := ApplyOnce(ctx, db, "other", env, rec.handle); err != nil || !applied {
		t.Errorf("other consumer: %v, %v", applied, err)
	}
}

// A failing handler gets the event again until it succeeds; a permanent
// failure drops the event without blocking the ones after it.
func TestConsumerRetriesAndDropsPoison(t *testing.T) {
	storagetest.Run(t, testConsumerRetriesAndDropsPoison)
}

func testConsumerRetriesAndDropsPoison(t *testing.T, engine string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := startNATS(t, "127.0.0.1:0", t.TempDir())
	defer srv.Shutdown()
	bus := connect(t, srv.ClientURL())
	producerDB, consumerDB := openDB(t, engine, "orders"), openDB(t, engine, "notifications")
	out := NewOutbox(producerDB, "orders", testTelemetry())
	rec := &recorder{failFor: map[string]int{"flaky": 2}, poison: "poison", db: consumerDB}
	go func() { _ = out.Relay(ctx, bus) }()
	go func() { _ = bus.Consume(ctx, consumerDB, Subscription{Consumer: "n", Producer: "orders"}, rec.handle) }()
	addEvents(t, ctx, producerDB, out, "flaky", "poison", "fine")
	waitUntil(t, "flaky and fine applied", func() bool { return len(rec.got()) == 2 })
	// The handler records an event before its transaction commits: wait
	// for the rows, then check nothing more (the poison) arrives with them.
	waitUntil(t, "both applied rows committed", func() bool {
		var n int
		err := consumerDB.QueryRow(`SELECT COUNT(*) FROM applied`).Scan(&n) // no table until the first commit
		return err == nil && n >= 2
	})
	if n := countApplied(t, consumerDB); n != 2 {
		t.Errorf("applied rows = %d, want 2", n)
	}
}

// Events written while NATS is down are published once it is up: the
// outbox loses nothing.
func TestRelaySurvivesNATSOutage(t *testing.T) {
	const engine = "sqlite" // a NATS behaviour; the engines are covered above
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, store := freeAddr(t), t.TempDir()
	bus := connect(t, "nats://"+addr) // nothing listens yet
	producerDB, consumerDB := openDB(t, engine, "orders"), openDB(t, engine, "cart")
	out := NewOutbox(producerDB, "orders", testTelemetry())
	rec := &recorder{db: consumerDB}
	go func() { _ = out.Relay(ctx, bus) }()
	go func() {
		_ = bus.Consume(ctx, consumerDB, Subscription{Consumer: "cart-orders", Producer: "orders"}, rec.handle)
	}()
	addEvents(t, ctx, producerDB, out, "a", "b")
	time.Sleep(500 * time.Millisecond)
	if n, _ := out.Pending(ctx); n != 2 {
		t.Fatalf("pending = %d while NATS is down, want 2", n)
	}
	srv := startNATS(t, addr, store)
	defer srv.Shutdown()
	waitUntil(t, "events applied after NATS came up", func() bool { return len(rec.got()) == 2 })

	// NATS restarts: the stream and the consumer's position survive.
	srv.Shutdown()
	addEvents(t, ctx, producerDB, out, "c")
	srv2 := startNATS(t, addr, store)
	defer srv2.Shutdown()
	waitUntil(t, "event written during the restart applied", func() bool { return len(rec.got()) == 3 })
	if got := rec.got(); fmt.Sprint(got) != "[a b c]" {
		t.Errorf("applied %v, want [a b c] once each", got)
	}
}

func TestSubjectsAndStreams(t *testing.T) {
	if got := Subject("orders", "order.placed"); got != "bazaar.orders.order.placed" {
		t.Errorf("Subject = %q", got)
	}
	if got := StreamName("orders"); got != "BAZAAR_ORDERS" {
		t.Errorf("StreamName = %q", got)
	}
	cfg := Subscription{Consumer: "c", Producer: "shipping", Types: []string{"shipment.created"}}.config()
	if len(cfg.FilterSubjects) != 1 || cfg.FilterSubjects[0] != "bazaar.shipping.shipment.created" {
		t.Errorf("filter = %v", cfg.FilterSubjects)
	}
	if all := (Subscription{Consumer: "c", Producer: "orders"}).config(); all.FilterSubjects[0] != "bazaar.orders.>" {
		t.Errorf("filter for all = %v", all.FilterSubjects)
	}
	if !IsPermanent(fmt.Errorf("wrapped: %w", Permanent(errors.New("x")))) || IsPermanent(errors.New("x")) {
		t.Error("IsPermanent does not see through wrapping")
	}
}

func TestOpenCreatesTheEventsTables(t *testing.T) {
	storagetest.Run(t, testOpenCreatesTheEventsTables)
}

func testOpenCreatesTheEventsTables(t *testing.T, engine string) {
	ctx := context.Background()
	db, err := Open(ctx, storagetest.DSN(t, engine, "svc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := NewOutbox(db, "svc", Telemetry{}).Pending(ctx); err != nil || n != 0 {
		t.Fatalf("Pending on a fresh database = %d, %v; want 0, nil", n, err)
	}
	if _, err := Open(ctx, "", nil); err == nil {
		t.Error("Open of an unsupported DSN succeeded")
	}
}
