package cart

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// catalogMode is how the fake catalog answers GetProduct.
type catalogMode int

const (
	catalogUp   catalogMode = iota // knows the products it was given
	catalogDown                    // answers Unavailable
	catalogSlow                    // answers only when the caller gives up
)

// fakeCatalog is a hand-written catalog server.
type fakeCatalog struct {
	catalogv1.UnimplementedCatalogServiceServer
	mu       sync.Mutex
	products map[string]bool
	mode     catalogMode
	calls    int
}

func (f *fakeCatalog) set(m catalogMode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = m
}

func (f *fakeCatalog) know(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.products[id] = true
}

func (f *fakeCatalog) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *fakeCatalog) GetProduct(ctx context.Context, req *catalogv1.GetProductRequest) (*catalogv1.GetProductResponse, error) {
	f.mu.Lock()
	f.calls++
	mode, known := f.mode, f.products[req.GetId()]
	f.mu.Unlock()
	switch {
	case mode == catalogDown:
		return nil, status.Error(codes.Unavailable, "catalog is down")
	case mode == catalogSlow:
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	case !known:
		return nil, status.Errorf(codes.NotFound, "no product %s", req.GetId())
	}
	return &catalogv1.GetProductResponse{Product: &catalogv1.Product{Id: req.GetId()}}, nil
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serve runs register's services on bufconn and returns a connection.
func serve(t testing.TB, register func(grpc.ServiceRegistrar)) (*grpc.ClientConn, *grpc.Server) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	register(srv)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(); srv.Stop() })
	return conn, srv
}

type fixture struct {
	svc        *Service
	client     cartv1.CartServiceClient
	catalog    *fakeCatalog
	catalogSrv *grpc.Server
	logs       *syncBuffer
}

// start runs a cart Service on a fresh SQLite file, with a fake catalog
// knowing mug, tea and pen, both behind gRPC servers on bufconn.
func start(t testing.TB) fixture {
	t.Helper()
	cat := &fakeCatalog{products: map[string]bool{"mug": true, "tea": true, "pen": true}}
	catConn, catSrv := serve(t, func(s grpc.ServiceRegistrar) { catalogv1.RegisterCatalogServiceServer(s, cat) })
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{
		DSN:            "sqlite:" + filepath.Join(t.TempDir(), "cart.db"),
		CatalogTimeout: 50 * time.Millisecond,
		Now:            func() time.Time { return t0 },
	}
	svc, err := New(context.Background(), cfg, Deps{Catalog: catalogv1.NewCatalogServiceClient(catConn)}, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	conn, _ := serve(t, svc.Register)
	return fixture{svc: svc, client: cartv1.NewCartServiceClient(conn), catalog: cat, catalogSrv: catSrv, logs: logs}
}

// items renders a cart's lines as "mug:2 tea:1".
func items(c *cartv1.Cart) string {
	var parts []string
	for _, it := range c.GetItems() {
		parts = append(parts, fmt.Sprintf("%s:%d", it.GetProductId(), it.GetQuantity()))
	}
	return strings.Join(parts, " ")
}

func (f fixture) add(t *testing.T, shopper, product string, qty int32, key string) *cartv1.Cart {
	t.Helper()
	resp, err := f.client.AddItem(context.Background(), &cartv1.AddItemRequest{ShopperId: shopper, ProductId: product, Quantity: qty, IdempotencyKey: key})
	if err != nil {
		t.Fatalf("AddItem(%s, %s, %d, %s): %v", shopper, product, qty, key, err)
	}
	return resp.GetCart()
}

func (f fixture) get(t *testing.T, shopper string) *cartv1.Cart {
	t.Helper()
	resp, err := f.client.GetCart(context.Background(), &cartv1.GetCartRequest{ShopperId: shopper})
	if err != nil {
		t.Fatalf("GetCart(%s): %v", shopper, err)
	}
	return resp.GetCart()
}

func TestCartLifecycle(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	empty := f.get(t, "guest-1")
	if empty.GetShopperId() != "guest-1" || len(empty.GetItems()) != 0 || empty.GetUpdateTime() != nil {
		t.Errorf("new cart %v, want empty with no update_time", empty)
	}
	f.add(t, "guest-1", "mug", 2, "k1")
	f.add(t, "guest-1", "tea", 1, "k2")
	c := f.add(t, "guest-1", "mug", 3, "k3")
	if got := items(c); got != "mug:5 tea:1" {
		t.Errorf("after adds: %q, want %q", got, "mug:5 tea:1")
	}
	if !c.GetUpdateTime().AsTime().Equal(t0) {
		t.Errorf("update_time %v, want %v", c.GetUpdateTime().AsTime(), t0)
	}
	set, err := f.client.SetItemQuantity(ctx, &cartv1.SetItemQuantityRequest{ShopperId: "guest-1", ProductId: "pen", Quantity: 4})
	if err != nil || items(set.GetCart()) != "mug:5 tea:1 pen:4" {
		t.Errorf("SetItemQuantity = %q, %v", items(set.GetCart()), err)
	}
	set, err = f.client.SetItemQuantity(ctx, &cartv1.SetItemQuantityRequest{ShopperId: "guest-1", ProductId: "mug", Quantity: 0})
	if err != nil || items(set.GetCart()) != "tea:1 pen:4" {
		t.Errorf("SetItemQuantity(0) = %q, %v", items(set.GetCart()), err)
	}
	rm, err := f.client.RemoveItem(ctx, &cartv1.RemoveItemRequest{ShopperId: "guest-1", ProductId: "tea"})
	if err != nil || items(rm.GetCart()) != "pen:4" {
		t.Errorf("RemoveItem = %q, %v", items(rm.GetCart()), err)
	}
	if _, err := f.client.RemoveItem(ctx, &cartv1.RemoveItemRequest{ShopperId: "guest-1", ProductId: "tea"}); err != nil {
		t.Errorf("removing a missing line: %v", err)
	}
	if _, err := f.client.EmptyCart(ctx, &cartv1.EmptyCartRequest{ShopperId: "guest-1"}); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, "guest-1"); len(got.GetItems()) != 0 {
		t.Errorf("after EmptyCart: %q", items(got))
	}
}

func TestAddItemSameKeyAppliesOnce(t *testing.T) {
	f := start(t)
	first := f.add(t, "u", "mug", 2, "k1")
	calls := f.catalog.callCount()
	again := f.add(t, "u", "mug", 2, "k1")
	if items(first) != "mug:2" || items(again) != "mug:2" {
		t.Errorf("first %q, retry %q; want mug:2 both", items(first), items(again))
	}
	if f.catalog.callCount() != calls {
		t.Errorf("a retry called the catalog again")
	}
	// A retry answers with the cart as it is now.
	f.add(t, "u", "tea", 1, "k2")
	if got := items(f.add(t, "u", "mug", 2, "k1")); got != "mug:2 tea:1" {
		t.Errorf("late retry = %q, want %q", got, "mug:2 tea:1")
	}
}

func TestAddItemWhenCatalogFails(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f fixture)
	}{
		{"catalog answers Unavailable", func(f fixture) { f.catalog.set(catalogDown) }},
		{"catalog too slow", func(f fixture) { f.catalog.set(catalogSlow) }},
		{"catalog process gone", func(f fixture) { f.catalogSrv.Stop() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t)
			tt.setup(f)
			begin := time.Now()
			// Even a product the catalog would not know is accepted:
			// orders re-checks every line at checkout.
			c := f.add(t, "u", "unknown-thing", 1, "k1")
			if items(c) != "unknown-thing:1" {
				t.Errorf("cart %q, want the line accepted", items(c))
			}
			if d := time.Since(begin); d > 2*time.Second {
				t.Errorf("AddItem took %v with a failing catalog", d)
			}
			if !strings.Contains(f.logs.String(), `"level":"WARN"`) || !strings.Contains(f.logs.String(), "unknown-thing") {
				t.Errorf("no WARN log about the unchecked line:\n%s", f.logs)
			}
		})
	}
}

func TestMergeCarts(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	f.add(t, "guest", "mug", 60, "g1")
	f.add(t, "guest", "tea", 2, "g2")
	f.add(t, "user", "pen", 1, "u1")
	f.add(t, "user", "mug", 50, "u2")
	merge := func() string {
		resp, err := f.client.MergeCarts(ctx, &cartv1.MergeCartsRequest{FromShopperId: "guest", ToShopperId: "user"})
		if err != nil {
			t.Fatalf("MergeCarts: %v", err)
		}
		return items(resp.GetCart())
	}
	if got, want := merge(), "pen:1 mug:99 tea:2"; got != want {
		t.Errorf("merged %q, want %q", got, want)
	}
	if got := f.get(t, "guest"); len(got.GetItems()) != 0 {
		t.Errorf("guest cart after merge %q, want empty", items(got))
	}
	if got, want := merge(), "pen:1 mug:99 tea:2"; got != want {
		t.Errorf("second merge %q, want unchanged %q", got, want)
	}
}

func TestStatusCodes(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	f.add(t, "full-line", "mug", 99, "f1")
	for i := range 50 {
		f.catalog.know(fmt.Sprintf("p-%d", i))
		f.add(t, "full-cart", fmt.Sprintf("p-%d", i), 1, fmt.Sprintf("k%d", i))
	}
	add := func(shopper, product string, qty int32, key string) func() error {
		return func() error {
			_, err := f.client.AddItem(ctx, &cartv1.AddItemRequest{ShopperId: shopper, ProductId: product, Quantity: qty, IdempotencyKey: key})
			return err
		}
	}
	set := func(shopper, product string, qty int32) func() error {
		return func() error {
			_, err := f.client.SetItemQuantity(ctx, &cartv1.SetItemQuantityRequest{ShopperId: shopper, ProductId: product, Quantity: qty})
			return err
		}
	}
	long := strings.Repeat("x", 129)
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"get: ok", func() error { _, err := f.client.GetCart(ctx, &cartv1.GetCartRequest{ShopperId: "nobody"}); return err }, codes.OK},
		{"get: no shopper", func() error { _, err := f.client.GetCart(ctx, &cartv1.GetCartRequest{}); return err }, codes.InvalidArgument},
		{"get: long shopper", func() error { _, err := f.client.GetCart(ctx, &cartv1.GetCartRequest{ShopperId: long}); return err }, codes.InvalidArgument},

		{"add: ok", add("s", "mug", 1, "a1"), codes.OK},
		{"add: unknown product", add("s", "no-such-thing", 1, "a2"), codes.NotFound},
		{"add: malformed product", add("s", "Mug!", 1, "a3"), codes.InvalidArgument},
		{"add: no product", add("s", "", 1, "a4"), codes.InvalidArgument},
		{"add: zero", add("s", "mug", 0, "a5"), codes.InvalidArgument},
		{"add: negative", add("s", "mug", -3, "a6"), codes.InvalidArgument},
		{"add: 100", add("s", "mug", 100, "a7"), codes.InvalidArgument},
		{"add: no key", add("s", "mug", 1, ""), codes.InvalidArgument},
		{"add: long key", add("s", "mug", 1, long), codes.InvalidArgument},
		{"add: no shopper", add("", "mug", 1, "a8"), codes.InvalidArgument},
		{"add: line past 99", add("full-line", "mug", 1, "a9"), codes.FailedPrecondition},
		{"add: line 51", add("full-cart", "mug", 1, "a10"), codes.FailedPrecondition},
		{"add: to a full cart's line", add("full-cart", "p-0", 1, "a11"), codes.OK},

		{"set: ok", set("s", "tea", 5), codes.OK},
		{"set: zero", set("s", "tea", 0), codes.OK},
		{"set: negative", set("s", "tea", -1), codes.InvalidArgument},
		{"set: 100", set("s", "tea", 100), codes.InvalidArgument},
		{"set: bad product", set("s", "Tea", 1), codes.InvalidArgument},
		{"set: line 51", set("full-cart", "tea", 1), codes.FailedPrecondition},

		{"remove: ok", func() error {
			_, err := f.client.RemoveItem(ctx, &cartv1.RemoveItemRequest{ShopperId: "s", ProductId: "pen"})
			return err
		}, codes.OK},
		{"remove: no product", func() error {
			_, err := f.client.RemoveItem(ctx, &cartv1.RemoveItemRequest{ShopperId: "s"})
			return err
		}, codes.InvalidArgument},
		{"empty: no shopper", func() error { _, err := f.client.EmptyCart(ctx, &cartv1.EmptyCartRequest{}); return err }, codes.InvalidArgument},
		{"merge: same cart", func() error {
			_, err := f.client.MergeCarts(ctx, &cartv1.MergeCartsRequest{FromShopperId: "s", ToShopperId: "s"})
			return err
		}, codes.InvalidArgument},
		{"merge: no source", func() error {
			_, err := f.client.MergeCarts(ctx, &cartv1.MergeCartsRequest{ToShopperId: "s"})
			return err
		}, codes.InvalidArgument},
		{"merge: no target", func() error {
			_, err := f.client.MergeCarts(ctx, &cartv1.MergeCartsRequest{FromShopperId: "s"})
			return err
		}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		if got := status.Code(tt.call()); got != tt.want {
			t.Errorf("%s: code %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	cat := catalogv1.NewCatalogServiceClient(nil)
	dsn := filepath.Join(t.TempDir(), "cart.db")
	for name, c := range map[string]struct {
		cfg  Config
		deps Deps
	}{
		"empty DSN":        {Config{}, Deps{Catalog: cat}},
		"postgres":         {Config{DSN: "postgres://db/cart"}, Deps{Catalog: cat}},
		"no catalog":       {Config{DSN: dsn}, Deps{}},
		"negative timeout": {Config{DSN: dsn, CatalogTimeout: -time.Second}, Deps{Catalog: cat}},
	} {
		if svc, err := New(ctx, c.cfg, c.deps, nil); err == nil {
			_ = svc.Close()
			t.Errorf("New(%s) succeeded, want error", name)
		}
	}
}

func TestReadyFailsAfterClose(t *testing.T) {
	f := start(t)
	if err := f.svc.Ready(context.Background()); err != nil {
		t.Errorf("Ready: %v", err)
	}
	if err := f.svc.store.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Ready(context.Background()); err == nil {
		t.Error("Ready after Close succeeded")
	}
}

func TestConcurrentRetriesAddOnce(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := f.client.AddItem(ctx, &cartv1.AddItemRequest{ShopperId: "u", ProductId: "mug", Quantity: 3, IdempotencyKey: "k1"})
			if err != nil {
				t.Errorf("AddItem: %v", err)
			}
		})
	}
	wg.Wait()
	if got := items(f.get(t, "u")); got != "mug:3" {
		t.Errorf("after 8 concurrent retries: %q, want mug:3", got)
	}
}
