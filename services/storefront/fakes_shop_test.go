package storefront

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	accountsv1 "github.com/bazaar-shop/bazaar/api/bazaar/accounts/v1"
	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fakeCart keeps carts in memory with the cart service's rules.
type fakeCart struct {
	cartv1.UnimplementedCartServiceServer
	switches
	catalog *fakeCatalog

	mu     sync.Mutex
	carts  map[string][]*cartv1.CartItem
	keys   map[string]bool
	merges []string // "from>to" of each MergeCarts call
	// removed counts RemoveOrderedItems calls per order id.
	removed map[string]int
}

func newFakeCart(catalog *fakeCatalog) *fakeCart {
	return &fakeCart{catalog: catalog, carts: map[string][]*cartv1.CartItem{}, keys: map[string]bool{}, removed: map[string]int{}}
}

// items returns a copy of shopper's lines.
func (f *fakeCart) items(shopper string) []*cartv1.CartItem {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*cartv1.CartItem
	for _, it := range f.carts[shopper] {
		out = append(out, proto.Clone(it).(*cartv1.CartItem))
	}
	return out
}

// cartLocked is shopper's cart as the service answers it.
func (f *fakeCart) cartLocked(shopper string) *cartv1.Cart {
	c := &cartv1.Cart{ShopperId: shopper}
	for _, it := range f.carts[shopper] {
		c.Items = append(c.Items, proto.Clone(it).(*cartv1.CartItem))
	}
	return c
}

// merged returns the "from>to" of every MergeCarts call.
func (f *fakeCart) merged() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.merges)
}

// empty empties shopper's cart, as the service does on order.placed.
func (f *fakeCart) empty(shopper string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.carts, shopper)
}

func checkShopper(id string) error {
	if id == "" || len(id) > 128 {
		return status.Error(codes.InvalidArgument, "shopper_id must be 1 to 128 bytes")
	}
	return nil
}

func (f *fakeCart) GetCart(ctx context.Context, req *cartv1.GetCartRequest) (*cartv1.GetCartResponse, error) {
	if err := f.enter(ctx, "GetCart"); err != nil {
		return nil, err
	}
	if err := checkShopper(req.GetShopperId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &cartv1.GetCartResponse{Cart: f.cartLocked(req.GetShopperId())}, nil
}

func (f *fakeCart) AddItem(ctx context.Context, req *cartv1.AddItemRequest) (*cartv1.AddItemResponse, error) {
	if err := f.enter(ctx, "AddItem"); err != nil {
		return nil, err
	}
	if err := checkShopper(req.GetShopperId()); err != nil {
		return nil, err
	}
	if req.GetQuantity() < 1 || req.GetQuantity() > 99 || req.GetIdempotencyKey() == "" || len(req.GetIdempotencyKey()) > 128 {
		return nil, status.Error(codes.InvalidArgument, "bad quantity or key")
	}
	if f.catalog.find(req.GetProductId()) == nil {
		return nil, status.Errorf(codes.NotFound, "no product %q", req.GetProductId())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys[req.GetIdempotencyKey()] {
		return &cartv1.AddItemResponse{Cart: f.cartLocked(req.GetShopperId())}, nil
	}
	lines := f.carts[req.GetShopperId()]
	i := slices.IndexFunc(lines, func(it *cartv1.CartItem) bool { return it.GetProductId() == req.GetProductId() })
	switch {
	case i < 0 && len(lines) >= 50:
		return nil, status.Error(codes.FailedPrecondition, "cart full")
	case i < 0:
		f.carts[req.GetShopperId()] = append(lines, &cartv1.CartItem{ProductId: req.GetProductId(), Quantity: req.GetQuantity()})
	case lines[i].GetQuantity()+req.GetQuantity() > 99:
		return nil, status.Error(codes.FailedPrecondition, "line over 99")
	default:
		lines[i].Quantity += req.GetQuantity()
	}
	f.keys[req.GetIdempotencyKey()] = true
	return &cartv1.AddItemResponse{Cart: f.cartLocked(req.GetShopperId())}, nil
}

func (f *fakeCart) SetItemQuantity(ctx context.Context, req *cartv1.SetItemQuantityRequest) (*cartv1.SetItemQuantityResponse, error) {
	if err := f.enter(ctx, "SetItemQuantity"); err != nil {
		return nil, err
	}
	if req.GetQuantity() < 0 || req.GetQuantity() > 99 {
		return nil, status.Error(codes.InvalidArgument, "bad quantity")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	lines := f.carts[req.GetShopperId()]
	i := slices.IndexFunc(lines, func(it *cartv1.CartItem) bool { return it.GetProductId() == req.GetProductId() })
	switch {
	case req.GetQuantity() == 0 && i >= 0:
		f.carts[req.GetShopperId()] = slices.Delete(lines, i, i+1)
	case req.GetQuantity() == 0:
	case i < 0:
		f.carts[req.GetShopperId()] = append(lines, &cartv1.CartItem{ProductId: req.GetProductId(), Quantity: req.GetQuantity()})
	default:
		lines[i].Quantity = req.GetQuantity()
	}
	return &cartv1.SetItemQuantityResponse{Cart: f.cartLocked(req.GetShopperId())}, nil
}

func (f *fakeCart) RemoveItem(ctx context.Context, req *cartv1.RemoveItemRequest) (*cartv1.RemoveItemResponse, error) {
	if err := f.enter(ctx, "RemoveItem"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.carts[req.GetShopperId()] = slices.DeleteFunc(f.carts[req.GetShopperId()], func(it *cartv1.CartItem) bool {
		return it.GetProductId() == req.GetProductId()
	})
	return &cartv1.RemoveItemResponse{Cart: f.cartLocked(req.GetShopperId())}, nil
}

// removedFor is how many times RemoveOrderedItems was called for order.
func (f *fakeCart) removedFor(order string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.removed[order]
}

func (f *fakeCart) RemoveOrderedItems(ctx context.Context, req *cartv1.RemoveOrderedItemsRequest) (*cartv1.RemoveOrderedItemsResponse, error) {
	if err := f.enter(ctx, "RemoveOrderedItems"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed[req.GetOrderId()]++
	return &cartv1.RemoveOrderedItemsResponse{Cart: f.cartLocked(req.GetShopperId())}, nil
}

func (f *fakeCart) EmptyCart(ctx context.Context, req *cartv1.EmptyCartRequest) (*cartv1.EmptyCartResponse, error) {
	if err := f.enter(ctx, "EmptyCart"); err != nil {
		return nil, err
	}
	f.empty(req.GetShopperId())
	return &cartv1.EmptyCartResponse{}, nil
}

func (f *fakeCart) MergeCarts(ctx context.Context, req *cartv1.MergeCartsRequest) (*cartv1.MergeCartsResponse, error) {
	if err := f.enter(ctx, "MergeCarts"); err != nil {
		return nil, err
	}
	if req.GetFromShopperId() == req.GetToShopperId() {
		return nil, status.Error(codes.InvalidArgument, "same cart")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.merges = append(f.merges, req.GetFromShopperId()+">"+req.GetToShopperId())
	for _, it := range f.carts[req.GetFromShopperId()] {
		to := f.carts[req.GetToShopperId()]
		i := slices.IndexFunc(to, func(x *cartv1.CartItem) bool { return x.GetProductId() == it.GetProductId() })
		if i < 0 {
			f.carts[req.GetToShopperId()] = append(to, it)
			continue
		}
		to[i].Quantity = min(to[i].GetQuantity()+it.GetQuantity(), 99)
	}
	delete(f.carts, req.GetFromShopperId())
	return &cartv1.MergeCartsResponse{Cart: f.cartLocked(req.GetToShopperId())}, nil
}

// fakeOrders takes orders in memory: priced from the fake catalog (USD,
// or EUR at 0.9), a flat 5.00 shipping, idempotent per key, emptying the
// shopper's cart as the real flow does through order.placed.
type fakeOrders struct {
	ordersv1.UnimplementedOrdersServiceServer
	switches
	catalog *fakeCatalog
	cart    *fakeCart

	mu       sync.Mutex
	orders   map[string]*ordersv1.Order
	sequence []string // order ids, oldest first
	byKey    map[string]string
	requests []*ordersv1.PlaceOrderRequest
}

func newFakeOrders(catalog *fakeCatalog, cart *fakeCart) *fakeOrders {
	return &fakeOrders{catalog: catalog, cart: cart, orders: map[string]*ordersv1.Order{}, byKey: map[string]string{}}
}

// numOrders returns how many orders exist.
func (f *fakeOrders) numOrders() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.orders)
}

// lastRequest returns the last PlaceOrder request.
func (f *fakeOrders) lastRequest() *ordersv1.PlaceOrderRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		return nil
	}
	return f.requests[len(f.requests)-1]
}

// settle moves order id to st, as the saga would.
func (f *fakeOrders) settle(id string, st ordersv1.OrderStatus, reason ordersv1.CancelReason, tracking string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[id]
	o.Status, o.CancelReason = st, reason
	if tracking != "" {
		o.TrackingId, o.Carrier = tracking, "Bazaar Post"
	}
}

// add stores o as it is (another shopper's order, say).
func (f *fakeOrders) add(o *ordersv1.Order) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.orders[o.GetId()] = o
	f.sequence = append(f.sequence, o.GetId())
}

func (f *fakeOrders) price(m *typesv1.Money, currency string) (*typesv1.Money, error) {
	if currency == "" || currency == "USD" {
		return m, nil
	}
	if currency != "EUR" {
		return nil, status.Errorf(codes.InvalidArgument, "currency %s not supported", currency)
	}
	rate, _ := money.ParseDecimal("0.9")
	return money.Convert(m, rate, "EUR", 2)
}

func (f *fakeOrders) PlaceOrder(ctx context.Context, req *ordersv1.PlaceOrderRequest) (*ordersv1.PlaceOrderResponse, error) {
	if err := f.enter(ctx, "PlaceOrder"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	key := req.GetIdempotencyKey()
	if key == "" || len(key) > 128 {
		return nil, status.Error(codes.InvalidArgument, "idempotency key must be 1 to 128 bytes")
	}
	if id, ok := f.byKey[key]; ok {
		return &ordersv1.PlaceOrderResponse{OrderId: id, Status: f.orders[id].GetStatus()}, nil
	}
	if len(req.GetItems()) == 0 || len(req.GetItems()) > 50 || req.GetShopperId() == "" || req.GetEmail() == "" ||
		len(req.GetCard().GetNumber()) < 12 || req.GetShippingAddress().GetCountryCode() == "" {
		return nil, status.Error(codes.InvalidArgument, "bad order")
	}
	currency := cmp.Or(req.GetCurrencyCode(), "USD")
	o := &ordersv1.Order{
		Id: fmt.Sprintf("ord-%d", len(f.orders)+1), ShopperId: req.GetShopperId(), UserId: req.GetUserId(),
		Email: req.GetEmail(), ShippingAddress: req.GetShippingAddress(), Status: ordersv1.OrderStatus_ORDER_STATUS_PENDING,
		CardLastFour: req.GetCard().GetNumber()[len(req.GetCard().GetNumber())-4:],
		CreateTime:   timestamppb.New(time.Date(2026, 3, 1, 12, len(f.orders), 0, 0, time.UTC)),
	}
	subtotal, _ := money.Zero(currency)
	for _, it := range req.GetItems() {
		p := f.catalog.find(it.GetProductId())
		if p == nil {
			return nil, status.Errorf(codes.FailedPrecondition, "product %s not sold", it.GetProductId())
		}
		unit, err := f.price(p.GetPrice(), currency)
		if err != nil {
			return nil, err
		}
		line, _ := money.Mul(unit, int64(it.GetQuantity()))
		subtotal, _ = money.Add(subtotal, line)
		o.Items = append(o.Items, &ordersv1.OrderItem{ProductId: p.GetId(), Name: p.GetName(), Quantity: it.GetQuantity(), UnitPrice: unit, LineTotal: line})
	}
	shipping, _ := f.price(usd(5, 0), currency)
	total, _ := money.Add(subtotal, shipping)
	o.Subtotal, o.ShippingCost, o.Total = subtotal, shipping, total
	f.orders[o.Id] = o
	f.sequence = append(f.sequence, o.Id)
	f.byKey[key] = o.Id
	f.cart.empty(req.GetShopperId())
	return &ordersv1.PlaceOrderResponse{OrderId: o.Id, Status: o.Status}, nil
}

func (f *fakeOrders) GetOrder(ctx context.Context, req *ordersv1.GetOrderRequest) (*ordersv1.GetOrderResponse, error) {
	if err := f.enter(ctx, "GetOrder"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.orders[req.GetOrderId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no order %q", req.GetOrderId())
	}
	return &ordersv1.GetOrderResponse{Order: proto.Clone(o).(*ordersv1.Order)}, nil
}

func (f *fakeOrders) ListOrders(ctx context.Context, req *ordersv1.ListOrdersRequest) (*ordersv1.ListOrdersResponse, error) {
	if err := f.enter(ctx, "ListOrders"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &ordersv1.ListOrdersResponse{}
	for i := len(f.sequence) - 1; i >= 0; i-- {
		o := f.orders[f.sequence[i]]
		if (req.GetUserId() == "" || o.GetUserId() == req.GetUserId()) && (req.GetShopperId() == "" || o.GetShopperId() == req.GetShopperId()) {
			resp.Orders = append(resp.Orders, proto.Clone(o).(*ordersv1.Order))
		}
	}
	return resp, nil
}

// fakeAccounts registers users in memory.
type fakeAccounts struct {
	accountsv1.UnimplementedAccountsServiceServer
	switches

	mu        sync.Mutex
	users     map[string]*accountsv1.User // by lower-case e-mail
	passwords map[string]string           // by user id
	keys      map[string]*accountsv1.User
}

func newFakeAccounts() *fakeAccounts {
	return &fakeAccounts{users: map[string]*accountsv1.User{}, passwords: map[string]string{}, keys: map[string]*accountsv1.User{}}
}

// register adds a user directly.
func (f *fakeAccounts) register(email, name, password string) *accountsv1.User {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := &accountsv1.User{Id: fmt.Sprintf("user-%d", len(f.users)+1), Email: strings.ToLower(email), Name: name}
	f.users[u.Email], f.passwords[u.Id] = u, password
	return u
}

func (f *fakeAccounts) CreateAccount(ctx context.Context, req *accountsv1.CreateAccountRequest) (*accountsv1.CreateAccountResponse, error) {
	if err := f.enter(ctx, "CreateAccount"); err != nil {
		return nil, err
	}
	if req.GetIdempotencyKey() == "" || len(req.GetPassword()) < 8 || !strings.Contains(req.GetEmail(), "@") {
		return nil, status.Error(codes.InvalidArgument, "bad account")
	}
	f.mu.Lock()
	if u, ok := f.keys[req.GetIdempotencyKey()]; ok {
		f.mu.Unlock()
		return &accountsv1.CreateAccountResponse{User: u}, nil
	}
	_, taken := f.users[strings.ToLower(req.GetEmail())]
	f.mu.Unlock()
	if taken {
		return nil, status.Error(codes.AlreadyExists, "e-mail taken")
	}
	u := f.register(req.GetEmail(), req.GetName(), req.GetPassword())
	f.mu.Lock()
	f.keys[req.GetIdempotencyKey()] = u
	f.mu.Unlock()
	return &accountsv1.CreateAccountResponse{User: u}, nil
}

func (f *fakeAccounts) Authenticate(ctx context.Context, req *accountsv1.AuthenticateRequest) (*accountsv1.AuthenticateResponse, error) {
	if err := f.enter(ctx, "Authenticate"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[strings.ToLower(req.GetEmail())]
	if !ok || f.passwords[u.GetId()] != req.GetPassword() {
		return nil, status.Error(codes.Unauthenticated, "wrong e-mail or password")
	}
	return &accountsv1.AuthenticateResponse{User: u}, nil
}

// fakeInventory knows the stock of some products.
type fakeInventory struct {
	inventoryv1.UnimplementedInventoryServiceServer
	switches
	available map[string]int64
}

func (f *fakeInventory) BatchGetAvailability(ctx context.Context, req *inventoryv1.BatchGetAvailabilityRequest) (*inventoryv1.BatchGetAvailabilityResponse, error) {
	if err := f.enter(ctx, "BatchGetAvailability"); err != nil {
		return nil, err
	}
	resp := &inventoryv1.BatchGetAvailabilityResponse{}
	for _, id := range req.GetProductIds() {
		n, ok := f.available[id]
		if !ok {
			resp.MissingIds = append(resp.MissingIds, id)
			continue
		}
		resp.Availabilities = append(resp.Availabilities, &inventoryv1.Availability{ProductId: id, Available: n})
	}
	return resp, nil
}

// fakeRecommendations suggests fixed products.
type fakeRecommendations struct {
	recommendationsv1.UnimplementedRecommendationsServiceServer
	switches
	suggestions map[string][]string
}

func (f *fakeRecommendations) ListRecommendations(ctx context.Context, req *recommendationsv1.ListRecommendationsRequest) (*recommendationsv1.ListRecommendationsResponse, error) {
	if err := f.enter(ctx, "ListRecommendations"); err != nil {
		return nil, err
	}
	resp := &recommendationsv1.ListRecommendationsResponse{}
	for _, id := range req.GetProductIds() {
		for i, s := range f.suggestions[id] {
			resp.Recommendations = append(resp.Recommendations, &recommendationsv1.Recommendation{ProductId: s, Score: int64(10 - i)})
		}
	}
	return resp, nil
}

// fakeNotifications is a mailbox.
type fakeNotifications struct {
	notificationsv1.UnimplementedNotificationsServiceServer
	switches

	mu       sync.Mutex
	messages []*notificationsv1.Message
}

// send puts a message in the mailbox.
func (f *fakeNotifications) send(to, subject, orderID string) *notificationsv1.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := &notificationsv1.Message{
		Id: fmt.Sprintf("msg-%d", len(f.messages)+1), To: strings.ToLower(to), Subject: subject,
		Body: "Hello,\n\n" + subject + "\n\n— Bazaar", OrderId: orderID, Kind: notificationsv1.MessageKind_MESSAGE_KIND_ORDER_PLACED,
		CreateTime: timestamppb.New(time.Date(2026, 3, 1, 12, len(f.messages), 0, 0, time.UTC)),
	}
	f.messages = append(f.messages, m)
	return m
}

func (f *fakeNotifications) ListMessages(ctx context.Context, req *notificationsv1.ListMessagesRequest) (*notificationsv1.ListMessagesResponse, error) {
	if err := f.enter(ctx, "ListMessages"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &notificationsv1.ListMessagesResponse{}
	for i := len(f.messages) - 1; i >= 0; i-- {
		if m := f.messages[i]; req.GetTo() == "" || m.GetTo() == strings.ToLower(req.GetTo()) {
			resp.Messages = append(resp.Messages, m)
		}
	}
	return resp, nil
}

func (f *fakeNotifications) GetMessage(ctx context.Context, req *notificationsv1.GetMessageRequest) (*notificationsv1.GetMessageResponse, error) {
	if err := f.enter(ctx, "GetMessage"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.messages {
		if m.GetId() == req.GetId() {
			return &notificationsv1.GetMessageResponse{Message: m}, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "no message %q", req.GetId())
}
