package verify

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// fakePageCap is the page size every fake caps lists at, so that the
// tests go through several pages.
const fakePageCap = 2

// page returns the page of n items that token and size ask for, as the
// half-open range [from, to), and the next token ("" on the last page).
func page(n int, token string, size int32) (from, to int, next string, err error) {
	if token != "" {
		if from, err = strconv.Atoi(token); err != nil || from < 0 || from > n {
			return 0, 0, "", status.Errorf(codes.InvalidArgument, "bad page token %q", token)
		}
	}
	size = min(max(size, 1), fakePageCap)
	to = min(from+int(size), n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next, nil
}

// fakeOrders serves a list of orders per round: round i is what the i-th
// listing (a first-page call starts one) sees; the last round repeats.
type fakeOrders struct {
	ordersv1.UnimplementedOrdersServiceServer
	mu       sync.Mutex
	rounds   [][]*ordersv1.Order
	listings int
	requests []*ordersv1.ListOrdersRequest
}

func (f *fakeOrders) ListOrders(_ context.Context, req *ordersv1.ListOrdersRequest) (*ordersv1.ListOrdersResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	if req.GetPageToken() == "" {
		f.listings++
	}
	orders := f.rounds[min(f.listings, len(f.rounds))-1]
	from, to, next, err := page(len(orders), req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	return &ordersv1.ListOrdersResponse{Orders: orders[from:to], NextPageToken: next}, nil
}

// fakePayment serves charges.
type fakePayment struct {
	paymentv1.UnimplementedPaymentServiceServer
	charges []*paymentv1.Charge
}

func (f *fakePayment) ListCharges(_ context.Context, req *paymentv1.ListChargesRequest) (*paymentv1.ListChargesResponse, error) {
	from, to, next, err := page(len(f.charges), req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	return &paymentv1.ListChargesResponse{Charges: f.charges[from:to], NextPageToken: next}, nil
}

// fakeInventory serves stock and reservations. reads[i] is the stock the
// i-th listing sees; the last one repeats.
type fakeInventory struct {
	inventoryv1.UnimplementedInventoryServiceServer
	mu           sync.Mutex
	reads        [][]*inventoryv1.Stock
	listings     int
	reservations map[string]*inventoryv1.Reservation
}

func (f *fakeInventory) ListStock(_ context.Context, req *inventoryv1.ListStockRequest) (*inventoryv1.ListStockResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.GetPageToken() == "" {
		f.listings++
	}
	stock := f.reads[min(f.listings, len(f.reads))-1]
	from, to, next, err := page(len(stock), req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	return &inventoryv1.ListStockResponse{Stocks: stock[from:to], NextPageToken: next}, nil
}

func (f *fakeInventory) GetReservation(_ context.Context, req *inventoryv1.GetReservationRequest) (*inventoryv1.GetReservationResponse, error) {
	r, ok := f.reservations[req.GetOrderId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no reservation for order %s", req.GetOrderId())
	}
	return &inventoryv1.GetReservationResponse{Reservation: r}, nil
}

// fakeShipping serves shipments by order id.
type fakeShipping struct {
	shippingv1.UnimplementedShippingServiceServer
	mu        sync.Mutex
	shipments map[string]*shippingv1.Shipment
}

func (f *fakeShipping) GetShipment(_ context.Context, req *shippingv1.GetShipmentRequest) (*shippingv1.GetShipmentResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.shipments[req.GetOrderId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no shipment for order %s", req.GetOrderId())
	}
	return &shippingv1.GetShipmentResponse{Shipment: s}, nil
}

// fakeNotifications serves the mailbox, filtered by order id.
type fakeNotifications struct {
	notificationsv1.UnimplementedNotificationsServiceServer
	mu       sync.Mutex
	messages []*notificationsv1.Message
}

func (f *fakeNotifications) ListMessages(_ context.Context, req *notificationsv1.ListMessagesRequest) (*notificationsv1.ListMessagesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var match []*notificationsv1.Message
	for _, m := range f.messages {
		if req.GetOrderId() == "" || m.GetOrderId() == req.GetOrderId() {
			match = append(match, m)
		}
	}
	from, to, next, err := page(len(match), req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	return &notificationsv1.ListMessagesResponse{Messages: match[from:to], NextPageToken: next}, nil
}

// shop is the five fake services, each its own gRPC server on bufconn.
type shop struct {
	orders        *fakeOrders
	payment       *fakePayment
	inventory     *fakeInventory
	shipping      *fakeShipping
	notifications *fakeNotifications
	servers       map[string]*grpc.Server
	clients       Clients
}

func newShop() *shop {
	return &shop{
		orders:        &fakeOrders{},
		payment:       &fakePayment{},
		inventory:     &fakeInventory{reservations: map[string]*inventoryv1.Reservation{}},
		shipping:      &fakeShipping{shipments: map[string]*shippingv1.Shipment{}},
		notifications: &fakeNotifications{},
		servers:       map[string]*grpc.Server{},
	}
}

// registrars say how to register each fake, by service name.
func (s *shop) registrars() map[string]func(*grpc.Server) {
	return map[string]func(*grpc.Server){
		"orders":        func(g *grpc.Server) { ordersv1.RegisterOrdersServiceServer(g, s.orders) },
		"payment":       func(g *grpc.Server) { paymentv1.RegisterPaymentServiceServer(g, s.payment) },
		"inventory":     func(g *grpc.Server) { inventoryv1.RegisterInventoryServiceServer(g, s.inventory) },
		"shipping":      func(g *grpc.Server) { shippingv1.RegisterShippingServiceServer(g, s.shipping) },
		"notifications": func(g *grpc.Server) { notificationsv1.RegisterNotificationsServiceServer(g, s.notifications) },
	}
}

// listen serves the fake of service name on lis until the test ends.
func (s *shop) listen(t *testing.T, name string, lis net.Listener) {
	srv := grpc.NewServer()
	s.registrars()[name](srv)
	healthgrpc.RegisterHealthServer(srv, health.NewServer()) // SERVING
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	s.servers[name] = srv
}

// start serves every fake over bufconn and fills s.clients.
func (s *shop) start(t *testing.T) {
	t.Helper()
	conns := map[string]*grpc.ClientConn{}
	for _, name := range Services() {
		lis := bufconn.Listen(1 << 20)
		s.listen(t, name, lis)
		conn, err := grpc.NewClient("passthrough:///"+name,
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
			grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatalf("dial bufconn %s: %v", name, err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		conns[name] = conn
	}
	s.clients = Clients{
		Orders:        ordersv1.NewOrdersServiceClient(conns["orders"]),
		Payment:       paymentv1.NewPaymentServiceClient(conns["payment"]),
		Inventory:     inventoryv1.NewInventoryServiceClient(conns["inventory"]),
		Shipping:      shippingv1.NewShippingServiceClient(conns["shipping"]),
		Notifications: notificationsv1.NewNotificationsServiceClient(conns["notifications"]),
	}
}

// startLoopback serves every fake on its own loopback port and returns a
// registry snapshot of them, as `bazaar up` would write it.
func (s *shop) startLoopback(t *testing.T) registry.Snapshot {
	t.Helper()
	var snap registry.Snapshot
	for _, name := range Services() {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		s.listen(t, name, lis)
		snap.Instances = append(snap.Instances, registry.Instance{
			ID: name + "-1", Service: name, GRPCAddr: lis.Addr().String(), AdminAddr: "127.0.0.1:1", Started: t0,
		})
	}
	return snap
}

// Builders of contract messages.

func pbMoney(units int64) *typesv1.Money {
	return &typesv1.Money{CurrencyCode: "USD", Units: units}
}

func pbOrder(id string, st ordersv1.OrderStatus, age time.Duration, tracking string) *ordersv1.Order {
	ts := timestamppb.New(t0.Add(-age))
	return &ordersv1.Order{Id: id, Status: st, Total: pbMoney(10), TrackingId: tracking, CreateTime: ts, UpdateTime: ts}
}

func pbCharge(id, orderID string, st paymentv1.ChargeStatus) *paymentv1.Charge {
	return &paymentv1.Charge{Id: id, OrderId: orderID, Status: st, Amount: pbMoney(10), IdempotencyKey: "k-" + id}
}

func pbStock(id string, onHand, reserved, sold, loaded int64) *inventoryv1.Stock {
	return &inventoryv1.Stock{ProductId: id, OnHand: onHand, Reserved: reserved, Sold: sold, Loaded: loaded}
}

func pbReservation(orderID string, st inventoryv1.ReservationState, productID string, qty int32) *inventoryv1.Reservation {
	return &inventoryv1.Reservation{OrderId: orderID, State: st, Items: []*inventoryv1.ReservationItem{{ProductId: productID, Quantity: qty}}}
}

func pbMessage(id, orderID string, kind notificationsv1.MessageKind) *notificationsv1.Message {
	return &notificationsv1.Message{Id: id, OrderId: orderID, Kind: kind, To: "shopper@example.com"}
}
