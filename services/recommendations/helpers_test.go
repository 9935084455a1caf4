package recommendations

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// newTestService opens a Service on a fresh database.
func newTestService(t testing.TB, engine string, deps Deps) *Service {
	t.Helper()
	svc, err := New(context.Background(), Config{DSN: storagetest.DSN(t, engine, "recommendations"), CatalogTimeout: 200 * time.Millisecond}, deps, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return svc
}

// bufconnClient serves register's services on bufconn and returns a
// connection to them; stop stops the server early.
func bufconnClient(t *testing.T, register func(*grpc.Server)) (conn *grpc.ClientConn, stop func()) {
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
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
	})
	return conn, srv.Stop
}

// serve runs svc on bufconn and returns a client.
func serve(t *testing.T, svc *Service) recommendationsv1.RecommendationsServiceClient {
	t.Helper()
	conn, _ := bufconnClient(t, func(s *grpc.Server) { svc.Register(s) })
	return recommendationsv1.NewRecommendationsServiceClient(conn)
}

// fakeCatalog is a hand-written catalog: ListProducts returns products,
// or fails with err, after delay.
type fakeCatalog struct {
	catalogv1.UnimplementedCatalogServiceServer
	products []string
	err      error
	delay    time.Duration

	mu    sync.Mutex
	calls []*catalogv1.ListProductsRequest
}

func (f *fakeCatalog) ListProducts(ctx context.Context, req *catalogv1.ListProductsRequest) (*catalogv1.ListProductsResponse, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	f.mu.Unlock()
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	if f.err != nil {
		return nil, f.err
	}
	resp := &catalogv1.ListProductsResponse{TotalSize: int32(len(f.products))}
	for _, id := range f.products[:min(len(f.products), int(req.GetPageSize()))] {
		resp.Products = append(resp.Products, &catalogv1.Product{Id: id, Name: strings.ToUpper(id)})
	}
	return resp, nil
}

func (f *fakeCatalog) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// startCatalog serves f on bufconn and returns a client and a stop func.
func startCatalog(t *testing.T, f *fakeCatalog) (catalogv1.CatalogServiceClient, func()) {
	t.Helper()
	conn, stop := bufconnClient(t, func(s *grpc.Server) { catalogv1.RegisterCatalogServiceServer(s, f) })
	return catalogv1.NewCatalogServiceClient(conn), stop
}

// confirmedEnv is an order.confirmed event for an order of products.
func confirmedEnv(t testing.TB, eventID, orderID string, products ...string) *eventsv1.Envelope {
	t.Helper()
	ev := &eventsv1.OrderConfirmed{OrderId: orderID, Email: "ada@example.com"}
	for _, p := range products {
		ev.Items = append(ev.Items, &eventsv1.EventItem{ProductId: p, Quantity: 1})
	}
	return envelopeOf(t, eventID, ev)
}

func envelopeOf(t testing.TB, eventID string, payload proto.Message) *eventsv1.Envelope {
	t.Helper()
	a, err := anypb.New(payload)
	if err != nil {
		t.Fatalf("pack: %v", err)
	}
	return &eventsv1.Envelope{EventId: eventID, Type: TypeOrderConfirmed, Source: "orders", Payload: a}
}

// apply applies env as the consumer would.
func apply(t testing.TB, svc *Service, env *eventsv1.Envelope) (bool, error) {
	t.Helper()
	return events.ApplyOnce(context.Background(), svc.store.db, ordersSubscription().Consumer, env, svc.counter.onOrderConfirmed)
}

func wantCode(t *testing.T, err error, want codes.Code, mention string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != want {
		t.Fatalf("error = %v, want code %v", err, want)
	}
	if !strings.Contains(st.Message(), mention) {
		t.Fatalf("error message %q does not mention %q", st.Message(), mention)
	}
}

// recsString writes recommendations as "id:score id:score".
func recsString(recs []*recommendationsv1.Recommendation) string {
	var parts []string
	for _, r := range recs {
		parts = append(parts, r.GetProductId()+":"+strconv.FormatInt(r.GetScore(), 10))
	}
	return strings.Join(parts, " ")
}
