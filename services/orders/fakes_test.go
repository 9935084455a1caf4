package orders

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
)

// mode is how a fake dependency behaves.
type mode int32

const (
	modeUp   mode = iota // answers
	modeDown             // UNAVAILABLE at once
	modeHang             // never answers: the caller's deadline ends the call
)

// switchable is a fake's mode, safe to flip while calls run.
type switchable struct{ m atomic.Int32 }

func (s *switchable) set(m mode) { s.m.Store(int32(m)) }

// gate fails the call when the fake is down or hanging.
func (s *switchable) gate(ctx context.Context) error {
	switch mode(s.m.Load()) {
	case modeDown:
		return status.Error(codes.Unavailable, "fake is down")
	case modeHang:
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	}
	return nil
}

func usd(units int64, nanos int32) *typesv1.Money {
	return &typesv1.Money{CurrencyCode: "USD", Units: units, Nanos: nanos}
}

// fakeCatalog sells a few products priced in USD.
type fakeCatalog struct {
	catalogv1.UnimplementedCatalogServiceServer
	switchable
	products map[string]*catalogv1.Product
}

func newFakeCatalog() *fakeCatalog {
	return &fakeCatalog{products: map[string]*catalogv1.Product{
		"espresso-cup": {Id: "espresso-cup", Name: "Espresso Cup", Price: usd(12, 500_000_000), WeightGrams: 150},
		"teapot":       {Id: "teapot", Name: "Teapot", Price: usd(30, 0), WeightGrams: 900},
		"spoon":        {Id: "spoon", Name: "Spoon", Price: usd(0, 990_000_000), WeightGrams: 20},
	}}
}

func (f *fakeCatalog) BatchGetProducts(ctx context.Context, req *catalogv1.BatchGetProductsRequest) (*catalogv1.BatchGetProductsResponse, error) {
	if err := f.gate(ctx); err != nil {
		return nil, err
	}
	resp := &catalogv1.BatchGetProductsResponse{}
	for _, id := range req.GetIds() {
		if p, ok := f.products[id]; ok {
			resp.Products = append(resp.Products, p)
		} else {
			resp.MissingIds = append(resp.MissingIds, id)
		}
	}
	return resp, nil
}

// fakePricing converts USD to EUR (0.5) and JPY (150, no minor unit).
type fakePricing struct {
	pricingv1.UnimplementedPricingServiceServer
	switchable
	calls atomic.Int32
}

func (f *fakePricing) Convert(ctx context.Context, req *pricingv1.ConvertRequest) (*pricingv1.ConvertResponse, error) {
	f.calls.Add(1)
	if err := f.gate(ctx); err != nil {
		return nil, err
	}
	rates := map[string]struct {
		rate   *big.Rat
		digits int
	}{"USD": {big.NewRat(1, 1), 2}, "EUR": {big.NewRat(1, 2), 2}, "JPY": {big.NewRat(150, 1), 0}}
	r, ok := rates[req.GetToCurrencyCode()]
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument, "unknown currency %q", req.GetToCurrencyCode())
	}
	resp := &pricingv1.ConvertResponse{}
	for _, m := range req.GetAmounts() {
		out, err := money.Convert(m, r.rate, req.GetToCurrencyCode(), r.digits)
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		resp.Amounts = append(resp.Amounts, out)
	}
	return resp, nil
}

// fakeShipping quotes 7.00 USD anywhere but country "XX".
type fakeShipping struct {
	shippingv1.UnimplementedShippingServiceServer
	switchable
	mu   sync.Mutex
	last *shippingv1.GetQuoteRequest
}

// lastQuote returns the last quote request.
func (f *fakeShipping) lastQuote() *shippingv1.GetQuoteRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func (f *fakeShipping) GetQuote(ctx context.Context, req *shippingv1.GetQuoteRequest) (*shippingv1.GetQuoteResponse, error) {
	if err := f.gate(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.last = req
	f.mu.Unlock()
	if req.GetAddress().GetCountryCode() == "XX" {
		return nil, status.Error(codes.FailedPrecondition, "we do not ship to XX")
	}
	return &shippingv1.GetQuoteResponse{Quote: &shippingv1.Quote{Cost: usd(7, 0), Carrier: "Bazaar Post", EstimatedDays: 3}}, nil
}

// fakeInventory keeps stock and reservations with the contract's rules:
// every mutation idempotent per order.
type fakeInventory struct {
	inventoryv1.UnimplementedInventoryServiceServer
	switchable
	mu           sync.Mutex
	stock        map[string]int64
	reservations map[string]*inventoryv1.Reservation
	// calls counts calls per method and order: "Reserve/<order>".
	calls map[string]int
	// commitErr, when set, is Commit's answer.
	commitErr error
}

func newFakeInventory() *fakeInventory {
	return &fakeInventory{
		stock:        map[string]int64{"espresso-cup": 100, "teapot": 100, "spoon": 3},
		reservations: map[string]*inventoryv1.Reservation{},
		calls:        map[string]int{},
	}
}

// count returns how many times method was called for order.
func (f *fakeInventory) count(method, order string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method+"/"+order]
}

// state returns an order's reservation state.
func (f *fakeInventory) state(order string) inventoryv1.ReservationState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reservations[order].GetState()
}

func (f *fakeInventory) setCommitErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commitErr = err
}

func (f *fakeInventory) Reserve(ctx context.Context, req *inventoryv1.ReserveRequest) (*inventoryv1.ReserveResponse, error) {
	if err := f.gate(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Reserve/"+req.GetOrderId()]++
	if r, ok := f.reservations[req.GetOrderId()]; ok {
		return &inventoryv1.ReserveResponse{Reservation: r}, nil
	}
	r := &inventoryv1.Reservation{OrderId: req.GetOrderId(), Items: req.GetItems(), State: inventoryv1.ReservationState_RESERVATION_STATE_RESERVED}
	for _, it := range req.GetItems() {
		if have := f.stock[it.GetProductId()]; have < int64(it.GetQuantity()) {
			r.State = inventoryv1.ReservationState_RESERVATION_STATE_REJECTED
			r.Shortages = append(r.Shortages, &inventoryv1.Shortage{ProductId: it.GetProductId(), Requested: it.GetQuantity(), Available: have})
		}
	}
	if r.State == inventoryv1.ReservationState_RESERVATION_STATE_RESERVED {
		for _, it := range req.GetItems() {
			f.stock[it.GetProductId()] -= int64(it.GetQuantity())
		}
	}
	f.reservations[req.GetOrderId()] = r
	return &inventoryv1.ReserveResponse{Reservation: r}, nil
}

func (f *fakeInventory) Release(ctx context.Context, req *inventoryv1.ReleaseRequest) (*inventoryv1.ReleaseResponse, error) {
	if err := f.gate(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Release/"+req.GetOrderId()]++
	r, ok := f.reservations[req.GetOrderId()]
	switch {
	case !ok:
		r = &inventoryv1.Reservation{OrderId: req.GetOrderId(), State: inventoryv1.ReservationState_RESERVATION_STATE_RELEASED}
		f.reservations[req.GetOrderId()] = r
	case r.GetState() == inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED:
		return nil, status.Error(codes.FailedPrecondition, "reservation is committed")
	case r.GetState() == inventoryv1.ReservationState_RESERVATION_STATE_RESERVED:
		for _, it := range r.GetItems() {
			f.stock[it.GetProductId()] += int64(it.GetQuantity())
		}
		r.State = inventoryv1.ReservationState_RESERVATION_STATE_RELEASED
	}
	return &inventoryv1.ReleaseResponse{Reservation: r}, nil
}

func (f *fakeInventory) Commit(ctx context.Context, req *inventoryv1.CommitRequest) (*inventoryv1.CommitResponse, error) {
	if err := f.gate(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Commit/"+req.GetOrderId()]++
	if f.commitErr != nil {
		return nil, f.commitErr
	}
	r, ok := f.reservations[req.GetOrderId()]
	switch {
	case !ok:
		return nil, status.Error(codes.NotFound, "no reservation")
	case r.GetState() == inventoryv1.ReservationState_RESERVATION_STATE_RESERVED:
		r.State = inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED
	case r.GetState() != inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED:
		return nil, status.Errorf(codes.FailedPrecondition, "reservation is %v", r.GetState())
	}
	return &inventoryv1.CommitResponse{Reservation: r}, nil
}

// Test cards, as the payment service's test mode knows them.
const (
	cardOK        = "4242 4242 4242 4242"
	cardDeclined  = "4000 0000 0000 0002"
	cardNoFunds   = "4000 0000 0000 9995"
	cardTransient = "4000 0000 0000 0119"
)

// fakePayment is a processor that never charges an order twice: the same
// key returns the same charge, an order with a SUCCEEDED charge gets it
// back whatever the key, and a refund closes the order.
type fakePayment struct {
	paymentv1.UnimplementedPaymentServiceServer
	switchable
	mu        sync.Mutex
	byKey     map[string]*paymentv1.Charge
	succeeded map[string]*paymentv1.Charge
	// successes counts the SUCCEEDED charges made per order: more than one
	// would be a double charge.
	successes map[string]int
	calls     map[string]int
	keys      map[string][]string // idempotency keys used, per order
	refunds   map[string]int
	attempts  map[string]int
	// onCharge, when set, runs after a charge is recorded, before the
	// answer goes back.
	onCharge func(orderID string)
	next     int
}

func newFakePayment() *fakePayment {
	return &fakePayment{
		byKey: map[string]*paymentv1.Charge{}, succeeded: map[string]*paymentv1.Charge{},
		successes: map[string]int{}, calls: map[string]int{}, keys: map[string][]string{}, refunds: map[string]int{}, attempts: map[string]int{},
	}
}

func (f *fakePayment) stats(order string) (calls, successes, refunds int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[order], f.successes[order], f.refunds[order]
}

// chargeKeys returns the idempotency keys of an order's Charge calls.
func (f *fakePayment) chargeKeys(order string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.keys[order])
}

func (f *fakePayment) setOnCharge(fn func(string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onCharge = fn
}

func (f *fakePayment) Charge(ctx context.Context, req *paymentv1.ChargeRequest) (*paymentv1.ChargeResponse, error) {
	if err := f.gate(ctx); err != nil {
		return nil, err
	}
	ch, hook, err := f.charge(req)
	if err != nil {
		return nil, err
	}
	if hook != nil {
		hook(req.GetOrderId())
	}
	return &paymentv1.ChargeResponse{Charge: ch}, nil
}

func (f *fakePayment) charge(req *paymentv1.ChargeRequest) (*paymentv1.Charge, func(string), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	order := req.GetOrderId()
	f.calls[order]++
	f.keys[order] = append(f.keys[order], req.GetIdempotencyKey())
	if f.refunds[order] > 0 {
		return nil, nil, status.Error(codes.FailedPrecondition, "order refunded")
	}
	if ch, ok := f.succeeded[order]; ok {
		return ch, nil, nil
	}
	if ch, ok := f.byKey[req.GetIdempotencyKey()]; ok {
		return ch, nil, nil
	}
	number := req.GetCard().GetNumber()
	st := paymentv1.ChargeStatus_CHARGE_STATUS_SUCCEEDED
	switch number {
	case "4000000000000002":
		st = paymentv1.ChargeStatus_CHARGE_STATUS_DECLINED
	case "4000000000009995":
		st = paymentv1.ChargeStatus_CHARGE_STATUS_INSUFFICIENT_FUNDS
	case "4000000000000119":
		f.attempts[order]++
		if f.attempts[order] <= 2 {
			return nil, nil, status.Error(codes.Unavailable, "processor busy, try again")
		}
	}
	f.next++
	ch := &paymentv1.Charge{
		Id: fmt.Sprintf("ch_%d", f.next), OrderId: order, IdempotencyKey: req.GetIdempotencyKey(),
		Amount: req.GetAmount(), Status: st, CardLastFour: number[len(number)-4:],
	}
	if st != paymentv1.ChargeStatus_CHARGE_STATUS_SUCCEEDED {
		ch.FailureMessage = "Your card was declined."
	} else {
		f.succeeded[order] = ch
		f.successes[order]++
	}
	f.byKey[req.GetIdempotencyKey()] = ch
	return ch, f.onCharge, nil
}

func (f *fakePayment) Refund(ctx context.Context, req *paymentv1.RefundRequest) (*paymentv1.RefundResponse, error) {
	if err := f.gate(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	order := req.GetOrderId()
	f.refunds[order]++
	ref := &paymentv1.Refund{Id: "re_" + order, OrderId: order}
	if ch, ok := f.succeeded[order]; ok {
		ch.Status = paymentv1.ChargeStatus_CHARGE_STATUS_REFUNDED
		ref.ChargeId, ref.Amount = ch.GetId(), ch.GetAmount()
	}
	return &paymentv1.RefundResponse{Refund: ref}, nil
}

func (f *fakePayment) GetCharge(ctx context.Context, req *paymentv1.GetChargeRequest) (*paymentv1.GetChargeResponse, error) {
	if err := f.gate(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.succeeded[req.GetOrderId()]; ok {
		return &paymentv1.GetChargeResponse{Charge: ch}, nil
	}
	return nil, status.Error(codes.NotFound, "no charge")
}
