package orders

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// testEnv is an orders service on a fresh SQLite file, served over
// bufconn, calling the five fake dependencies over bufconn too.
type testEnv struct {
	t         testing.TB
	dsn       string
	cfg       Config
	deps      Deps
	catalog   *fakeCatalog
	pricing   *fakePricing
	shipping  *fakeShipping
	inventory *fakeInventory
	payment   *fakePayment
	svc       *Service
	client    ordersv1.OrdersServiceClient
}

// testConfig is fast: short deadlines, polls and backoffs.
func testConfig(dsn string) Config {
	return Config{
		DSN:          dsn,
		CallTimeout:  300 * time.Millisecond,
		QuoteTimeout: 200 * time.Millisecond,
		PollInterval: 20 * time.Millisecond,
		Lease:        2 * time.Second,
		MinBackoff:   10 * time.Millisecond,
		MaxBackoff:   100 * time.Millisecond,
	}
}

// newEnv starts the fakes and an orders service (without its background
// saga runner: see run); opts adjust the test configuration first.
func newEnv(t testing.TB, opts ...func(*Config)) *testEnv {
	t.Helper()
	e := &testEnv{
		t:         t,
		dsn:       "sqlite:" + filepath.Join(t.TempDir(), "orders.db"),
		catalog:   newFakeCatalog(),
		pricing:   &fakePricing{},
		shipping:  &fakeShipping{},
		inventory: newFakeInventory(),
		payment:   newFakePayment(),
	}
	e.cfg = testConfig(e.dsn)
	for _, o := range opts {
		o(&e.cfg)
	}
	srv := grpc.NewServer()
	catalogv1.RegisterCatalogServiceServer(srv, e.catalog)
	pricingv1.RegisterPricingServiceServer(srv, e.pricing)
	shippingv1.RegisterShippingServiceServer(srv, e.shipping)
	inventoryv1.RegisterInventoryServiceServer(srv, e.inventory)
	paymentv1.RegisterPaymentServiceServer(srv, e.payment)
	conn := serve(t, srv)
	e.deps = Deps{
		Catalog:   catalogv1.NewCatalogServiceClient(conn),
		Pricing:   pricingv1.NewPricingServiceClient(conn),
		Shipping:  shippingv1.NewShippingServiceClient(conn),
		Inventory: inventoryv1.NewInventoryServiceClient(conn),
		Payment:   paymentv1.NewPaymentServiceClient(conn),
	}
	e.svc, e.client = e.open()
	return e
}

// open starts another orders service on the env's database (a restart,
// or a second replica) and returns it with a client.
func (e *testEnv) open() (*Service, ordersv1.OrdersServiceClient) {
	e.t.Helper()
	svc, err := New(context.Background(), e.cfg, e.deps, nil)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	e.t.Cleanup(func() { svc.Close() })
	srv := grpc.NewServer()
	svc.Register(srv)
	return svc, ordersv1.NewOrdersServiceClient(serve(e.t, srv))
}

// serve serves srv on an in-memory listener and returns a connection.
func serve(t testing.TB, srv *grpc.Server) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// run runs svc's Background until the returned stop is called (or the
// test ends); stop waits for it to return.
func run(t *testing.T, svc *Service) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { svc.Background(ctx) })
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// request is a valid checkout; key is its idempotency key.
func request(key string) *ordersv1.PlaceOrderRequest {
	return &ordersv1.PlaceOrderRequest{
		IdempotencyKey: key,
		ShopperId:      "shopper-1",
		Email:          "ada@example.com",
		ShippingAddress: &typesv1.Address{
			Name: "Ada Lovelace", Street: "1 Analytical Way", City: "London", PostalCode: "N1 9GU", CountryCode: "GB",
		},
		Items: []*ordersv1.LineItem{{ProductId: "espresso-cup", Quantity: 2}, {ProductId: "teapot", Quantity: 1}},
		Card:  &typesv1.Card{Number: cardOK, ExpMonth: 12, ExpYear: int32(time.Now().Year() + 2), Cvv: "123"},
	}
}

// withCard returns req paying with number.
func withCard(req *ordersv1.PlaceOrderRequest, number string) *ordersv1.PlaceOrderRequest {
	req.Card.Number = number
	return req
}

// place places req and returns the order id.
func (e *testEnv) place(req *ordersv1.PlaceOrderRequest) string {
	e.t.Helper()
	resp, err := e.client.PlaceOrder(context.Background(), req)
	if err != nil {
		e.t.Fatalf("PlaceOrder: %v", err)
	}
	if resp.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_PENDING {
		e.t.Fatalf("PlaceOrder status = %v, want PENDING", resp.GetStatus())
	}
	return resp.GetOrderId()
}

// get returns an order.
func (e *testEnv) get(id string) *ordersv1.Order {
	e.t.Helper()
	resp, err := e.client.GetOrder(context.Background(), &ordersv1.GetOrderRequest{OrderId: id})
	if err != nil {
		e.t.Fatalf("GetOrder(%s): %v", id, err)
	}
	return resp.GetOrder()
}

// waitFinal waits for an order to be CONFIRMED or CANCELLED and returns it.
func (e *testEnv) waitFinal(id string) *ordersv1.Order {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o := e.get(id)
		if o.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_PENDING {
			return o
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("order %s still PENDING after 10s (saga: %s)", id, e.sagaRow(id))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sagaRow describes an order's saga row, for failure messages and checks.
func (e *testEnv) sagaRow(id string) string {
	var st, lastErr string
	var attempts int
	err := e.svc.store.db.QueryRow(e.svc.store.db.Dialect.Rebind(`SELECT step, attempts, last_error FROM sagas WHERE order_id = ?`), id).Scan(&st, &attempts, &lastErr)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("step=%s attempts=%d last_error=%q", st, attempts, lastErr)
}

// count runs a COUNT(*) query.
func (e *testEnv) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.svc.store.db.QueryRow(query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// outbox returns the events written for an order, in order.
func (e *testEnv) outbox(id string) []*eventsv1.Envelope {
	e.t.Helper()
	rows, err := e.svc.store.db.Query(`SELECT envelope FROM events_outbox ORDER BY seq`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []*eventsv1.Envelope
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			e.t.Fatal(err)
		}
		env := &eventsv1.Envelope{}
		if err := proto.Unmarshal(data, env); err != nil {
			e.t.Fatal(err)
		}
		if env.GetAggregateId() == id {
			out = append(out, env)
		}
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// eventTypes lists the types of envs.
func eventTypes(envs []*eventsv1.Envelope) []string {
	var out []string
	for _, env := range envs {
		out = append(out, env.GetType())
	}
	return out
}
