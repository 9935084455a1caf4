package storefront

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	accountsv1 "github.com/bazaar-shop/bazaar/api/bazaar/accounts/v1"
	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// Timeouts the storefront under test uses: short, so that "hanging
// dependency" tests stay fast.
const (
	testCatalogTimeout = 400 * time.Millisecond
	testPricingTimeout = 250 * time.Millisecond
	testFreshFor       = 30 * time.Second
	testStaleFor       = time.Hour
	testCallTimeout    = 500 * time.Millisecond
	testExtrasTimeout  = 150 * time.Millisecond
)

// testSessionKey signs the sessions of the storefront under test.
func testSessionKey() []byte {
	return []byte("test-session-key-0123456789abcdef")
}

// switches make a fake fail or hang; shared by both fakes.
type switches struct {
	mu        sync.Mutex
	fail      error // every call fails with it when set
	hang      bool  // every call waits for its deadline
	calls     map[string]int
	deadlines map[string]time.Duration // time left on the last call of a method
}

func (s *switches) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

func (s *switches) setHang(hang bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang = hang
}

func (s *switches) count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

func (s *switches) timeLeft(method string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deadlines[method]
}

// enter records a call of method and applies the switches.
func (s *switches) enter(ctx context.Context, method string) error {
	s.mu.Lock()
	if s.calls == nil {
		s.calls, s.deadlines = map[string]int{}, map[string]time.Duration{}
	}
	s.calls[method]++
	if d, ok := ctx.Deadline(); ok {
		s.deadlines[method] = time.Until(d)
	} else {
		s.deadlines[method] = -1
	}
	fail, hang := s.fail, s.hang
	s.mu.Unlock()
	if hang {
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	}
	return fail
}

// fakeCatalog is an in-memory catalog.
type fakeCatalog struct {
	catalogv1.UnimplementedCatalogServiceServer
	switches
	products   []*catalogv1.Product
	categories []*catalogv1.Category
}

func usd(units int64, nanos int32) *typesv1.Money {
	return &typesv1.Money{CurrencyCode: "USD", Units: units, Nanos: nanos}
}

func newFakeCatalog() *fakeCatalog {
	return &fakeCatalog{
		categories: []*catalogv1.Category{
			{Id: "kitchen", Name: "Kitchen", Description: "Cups, pots and pans."},
			{Id: "home", Name: "Home", Description: "Lamps and cushions."},
			{Id: "travel", Name: "Travel", Description: "Bags for the road."},
		},
		products: []*catalogv1.Product{
			{Id: "espresso-cup", Name: "Espresso Cup", Description: "A small cup.\n\nDishwasher safe.", CategoryId: "kitchen",
				Price: usd(12, 990_000_000), WeightGrams: 180, ImagePath: "/images/products/espresso-cup.svg", Tags: []string{"coffee", "ceramic"}},
			{Id: "desk-lamp", Name: "Desk Lamp", Description: "A warm light.", CategoryId: "home",
				Price: usd(45, 500_000_000), WeightGrams: 1250, ImagePath: "/images/products/desk-lamp.svg", Tags: []string{"light"}},
			{Id: "travel-backpack", Name: "Travel Backpack", Description: "Carries things.", CategoryId: "travel",
				Price: usd(89, 0), WeightGrams: 900, ImagePath: "/images/products/travel-backpack.svg"},
		},
	}
}

func (f *fakeCatalog) find(id string) *catalogv1.Product {
	for _, p := range f.products {
		if p.GetId() == id {
			return p
		}
	}
	return nil
}

func (f *fakeCatalog) ListProducts(ctx context.Context, req *catalogv1.ListProductsRequest) (*catalogv1.ListProductsResponse, error) {
	if err := f.enter(ctx, "ListProducts"); err != nil {
		return nil, err
	}
	var matched []*catalogv1.Product
	for _, p := range f.products {
		if req.GetCategoryId() == "" || p.GetCategoryId() == req.GetCategoryId() {
			matched = append(matched, p)
		}
	}
	start := 0
	if req.GetPageToken() != "" {
		n, err := strconv.Atoi(req.GetPageToken())
		if err != nil || n < 0 || n > len(matched) {
			return nil, status.Error(codes.InvalidArgument, "bad page token")
		}
		start = n
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = 24
	}
	end := min(start+size, len(matched))
	resp := &catalogv1.ListProductsResponse{Products: matched[start:end], TotalSize: int32(len(matched))}
	if end < len(matched) {
		resp.NextPageToken = strconv.Itoa(end)
	}
	return resp, nil
}

func (f *fakeCatalog) GetProduct(ctx context.Context, req *catalogv1.GetProductRequest) (*catalogv1.GetProductResponse, error) {
	if err := f.enter(ctx, "GetProduct"); err != nil {
		return nil, err
	}
	p := f.find(req.GetId())
	if p == nil {
		return nil, status.Errorf(codes.NotFound, "no product %q", req.GetId())
	}
	return &catalogv1.GetProductResponse{Product: p}, nil
}

func (f *fakeCatalog) SearchProducts(ctx context.Context, req *catalogv1.SearchProductsRequest) (*catalogv1.SearchProductsResponse, error) {
	if err := f.enter(ctx, "SearchProducts"); err != nil {
		return nil, err
	}
	words := strings.Fields(strings.ToLower(req.GetQuery()))
	var out []*catalogv1.Product
	for _, p := range f.products {
		text := strings.ToLower(p.GetName() + " " + p.GetDescription() + " " + strings.Join(p.GetTags(), " "))
		ok := req.GetCategoryId() == "" || p.GetCategoryId() == req.GetCategoryId()
		for _, w := range words {
			ok = ok && strings.Contains(text, w)
		}
		if ok {
			out = append(out, p)
		}
	}
	return &catalogv1.SearchProductsResponse{Products: out}, nil
}

func (f *fakeCatalog) ListCategories(ctx context.Context, _ *catalogv1.ListCategoriesRequest) (*catalogv1.ListCategoriesResponse, error) {
	if err := f.enter(ctx, "ListCategories"); err != nil {
		return nil, err
	}
	return &catalogv1.ListCategoriesResponse{Categories: f.categories}, nil
}

// testSVG is the image every fake product has.
const testSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4"/></svg>`

func (f *fakeCatalog) GetProductImage(ctx context.Context, req *catalogv1.GetProductImageRequest) (*catalogv1.GetProductImageResponse, error) {
	if err := f.enter(ctx, "GetProductImage"); err != nil {
		return nil, err
	}
	if f.find(req.GetProductId()) == nil {
		return nil, status.Errorf(codes.NotFound, "no product %q", req.GetProductId())
	}
	return &catalogv1.GetProductImageResponse{ContentType: "image/svg+xml", Data: []byte(testSVG), Etag: "img-" + req.GetProductId() + "-v1"}, nil
}

// fakePricing converts with fixed rates: 1 USD = 0.9 EUR = 150 JPY.
type fakePricing struct {
	pricingv1.UnimplementedPricingServiceServer
	switches
	currencies []*pricingv1.Currency
}

func newFakePricing() *fakePricing {
	return &fakePricing{currencies: []*pricingv1.Currency{
		{Code: "USD", Name: "US Dollar", Symbol: "$", MinorUnitDigits: 2, Rate: &typesv1.Decimal{Value: "1"}},
		{Code: "EUR", Name: "Euro", Symbol: "€", MinorUnitDigits: 2, Rate: &typesv1.Decimal{Value: "0.9"}},
		{Code: "JPY", Name: "Japanese Yen", Symbol: "¥", MinorUnitDigits: 0, Rate: &typesv1.Decimal{Value: "150"}},
	}}
}

func (f *fakePricing) ListCurrencies(ctx context.Context, _ *pricingv1.ListCurrenciesRequest) (*pricingv1.ListCurrenciesResponse, error) {
	if err := f.enter(ctx, "ListCurrencies"); err != nil {
		return nil, err
	}
	return &pricingv1.ListCurrenciesResponse{BaseCurrencyCode: "USD", Currencies: f.currencies}, nil
}

func (f *fakePricing) Convert(ctx context.Context, req *pricingv1.ConvertRequest) (*pricingv1.ConvertResponse, error) {
	if err := f.enter(ctx, "Convert"); err != nil {
		return nil, err
	}
	var to *pricingv1.Currency
	for _, c := range f.currencies {
		if c.GetCode() == req.GetToCurrencyCode() {
			to = c
		}
	}
	if to == nil {
		return nil, status.Errorf(codes.InvalidArgument, "unknown currency %q", req.GetToCurrencyCode())
	}
	rate, err := money.ParseDecimal(to.GetRate().GetValue())
	if err != nil {
		return nil, status.Errorf(codes.Internal, "rate: %v", err)
	}
	resp := &pricingv1.ConvertResponse{Rate: to.GetRate()}
	for _, m := range req.GetAmounts() {
		out, err := money.Convert(m, rate, to.GetCode(), int(to.GetMinorUnitDigits()))
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "convert: %v", err)
		}
		resp.Amounts = append(resp.Amounts, out)
	}
	return resp, nil
}

// serve runs a gRPC server with register's services over bufconn and
// returns a client connection to it.
func serve(t testing.TB, register func(*grpc.Server)) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	register(srv)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial bufconn: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	// Connect before the first call, so that connection setup does not
	// eat into the storefront's short deadlines.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn.Connect()
	for s := conn.GetState(); s != connectivity.Ready; s = conn.GetState() {
		if !conn.WaitForStateChange(ctx, s) {
			t.Fatalf("bufconn connection not ready: %v", s)
		}
	}
	return conn
}

// testClock is a settable time source.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a Storefront wired to fakes over bufconn.
type harness struct {
	catalog         *fakeCatalog
	pricing         *fakePricing
	accounts        *fakeAccounts
	cart            *fakeCart
	orders          *fakeOrders
	inventory       *fakeInventory
	recommendations *fakeRecommendations
	notifications   *fakeNotifications
	clock           *testClock
	logs            *logBuffer
	sf              *Storefront
	handler         http.Handler
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	catalog := newFakeCatalog()
	cart := newFakeCart(catalog)
	h := &harness{
		catalog:   catalog,
		pricing:   newFakePricing(),
		accounts:  newFakeAccounts(),
		cart:      cart,
		orders:    newFakeOrders(catalog, cart),
		inventory: &fakeInventory{available: map[string]int64{"espresso-cup": 40, "desk-lamp": 3, "travel-backpack": 0}},
		recommendations: &fakeRecommendations{suggestions: map[string][]string{
			"espresso-cup": {"desk-lamp", "no-such-product", "travel-backpack"},
		}},
		notifications: &fakeNotifications{},
		clock:         &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		logs:          &logBuffer{},
	}
	conn := serve(t, func(s *grpc.Server) {
		catalogv1.RegisterCatalogServiceServer(s, h.catalog)
		pricingv1.RegisterPricingServiceServer(s, h.pricing)
		accountsv1.RegisterAccountsServiceServer(s, h.accounts)
		cartv1.RegisterCartServiceServer(s, h.cart)
		ordersv1.RegisterOrdersServiceServer(s, h.orders)
		inventoryv1.RegisterInventoryServiceServer(s, h.inventory)
		recommendationsv1.RegisterRecommendationsServiceServer(s, h.recommendations)
		notificationsv1.RegisterNotificationsServiceServer(s, h.notifications)
	})
	sf, err := New(Config{
		BaseCurrency:           "USD",
		CatalogFreshFor:        testFreshFor,
		StaleFor:               testStaleFor,
		CatalogTimeout:         testCatalogTimeout,
		PricingTimeout:         testPricingTimeout,
		CallTimeout:            testCallTimeout,
		InventoryTimeout:       testExtrasTimeout,
		RecommendationsTimeout: testExtrasTimeout,
		SessionKey:             testSessionKey(),
		RateLimit:              -1, // the clock stands still: tests that want a limit set one (ratelimit_test.go)
		Now:                    h.clock.now,
	}, testDeps(conn, slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.sf, h.handler = sf, sf.Handler()
	return h
}

// testDeps are clients of every service over conn.
func testDeps(conn grpc.ClientConnInterface, log *slog.Logger) Deps {
	return Deps{
		Catalog:         catalogv1.NewCatalogServiceClient(conn),
		Pricing:         pricingv1.NewPricingServiceClient(conn),
		Accounts:        accountsv1.NewAccountsServiceClient(conn),
		Cart:            cartv1.NewCartServiceClient(conn),
		Orders:          ordersv1.NewOrdersServiceClient(conn),
		Inventory:       inventoryv1.NewInventoryServiceClient(conn),
		Recommendations: recommendationsv1.NewRecommendationsServiceClient(conn),
		Notifications:   notificationsv1.NewNotificationsServiceClient(conn),
		Logger:          log,
	}
}

// do serves one request and returns the recorded answer.
func (h *harness) do(t *testing.T, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec
}

// get serves GET path with cookies.
func (h *harness) get(t *testing.T, path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return h.do(t, req)
}

// currencyIs is the cookie of a shopper who chose code.
func currencyIs(code string) *http.Cookie {
	return &http.Cookie{Name: currencyCookie, Value: code}
}

// wantStatus fails the test when rec's status is not want.
func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status = %d, want %d; body:\n%s", rec.Code, want, rec.Body.String())
	}
}

// wantBody fails the test unless body contains every one of want.
func wantBody(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("body lacks %q; body:\n%s", w, body)
		}
	}
}

// wantNotInBody fails the test when body contains any of unwanted.
func wantNotInBody(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(body, u) {
			t.Errorf("body contains %q; body:\n%s", u, body)
		}
	}
}
