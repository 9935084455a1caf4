package shipping

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
)

func TestGetQuote(t *testing.T) {
	c := serve(t, newTestService(t))
	tests := []struct {
		name     string
		req      *shippingv1.GetQuoteRequest
		wantUSD  string
		wantDays int32
		wantG    int64
	}{
		{
			name:    "domestic, two items, 1.5 kg",
			req:     &shippingv1.GetQuoteRequest{Address: &typesv1.Address{CountryCode: "US"}, Items: []*shippingv1.ShippingItem{item1("mug", 2, 350), item1("kettle", 1, 800)}},
			wantUSD: "6.00", wantDays: 3, wantG: 1500,
		},
		{
			name:    "europe, lower-case country, asked in EUR",
			req:     &shippingv1.GetQuoteRequest{Address: &typesv1.Address{CountryCode: "de"}, Items: []*shippingv1.ShippingItem{item1("mug", 1, 350)}, CurrencyCode: "EUR"},
			wantUSD: "15.00", wantDays: 7, wantG: 350,
		},
		{
			name:    "rest of world, weightless item",
			req:     &shippingv1.GetQuoteRequest{Address: &typesv1.Address{CountryCode: "JP"}, Items: []*shippingv1.ShippingItem{item1("gift-card", 3, 0)}},
			wantUSD: "25.00", wantDays: 12, wantG: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.GetQuote(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("GetQuote: %v", err)
			}
			q := resp.GetQuote()
			if q.GetCost().GetCurrencyCode() != "USD" || formatUSD(q.GetCost()) != tt.wantUSD {
				t.Errorf("cost = %v, want USD %s", q.GetCost(), tt.wantUSD)
			}
			if q.GetCarrier() != Carrier || q.GetEstimatedDays() != tt.wantDays || q.GetTotalWeightGrams() != tt.wantG {
				t.Errorf("quote = %v, want %d days, %d g by %s", q, tt.wantDays, tt.wantG, Carrier)
			}
		})
	}
}

func TestGetQuoteRejects(t *testing.T) {
	c := serve(t, newTestService(t))
	one := []*shippingv1.ShippingItem{item1("mug", 1, 350)}
	us := &typesv1.Address{CountryCode: "US"}
	tooMany := make([]*shippingv1.ShippingItem, MaxItems+1)
	for i := range tooMany {
		tooMany[i] = item1("mug", 1, 1)
	}
	tests := []struct {
		name    string
		req     *shippingv1.GetQuoteRequest
		code    codes.Code
		mention string
	}{
		{"no address", &shippingv1.GetQuoteRequest{Items: one}, codes.InvalidArgument, "address"},
		{"no country", &shippingv1.GetQuoteRequest{Address: &typesv1.Address{City: "Paris"}, Items: one}, codes.InvalidArgument, "country_code"},
		{"bad country", &shippingv1.GetQuoteRequest{Address: &typesv1.Address{CountryCode: "USA"}, Items: one}, codes.InvalidArgument, "country_code"},
		{"no items", &shippingv1.GetQuoteRequest{Address: us}, codes.InvalidArgument, "items"},
		{"too many items", &shippingv1.GetQuoteRequest{Address: us, Items: tooMany}, codes.InvalidArgument, "at most 100"},
		{"zero quantity", &shippingv1.GetQuoteRequest{Address: us, Items: []*shippingv1.ShippingItem{item1("mug", 0, 1)}}, codes.InvalidArgument, "quantity"},
		{"huge quantity", &shippingv1.GetQuoteRequest{Address: us, Items: []*shippingv1.ShippingItem{item1("mug", MaxQuantity+1, 1)}}, codes.InvalidArgument, "quantity"},
		{"negative weight", &shippingv1.GetQuoteRequest{Address: us, Items: []*shippingv1.ShippingItem{item1("mug", 1, -1)}}, codes.InvalidArgument, "weight_grams"},
		{"no product id", &shippingv1.GetQuoteRequest{Address: us, Items: []*shippingv1.ShippingItem{item1("", 1, 1)}}, codes.InvalidArgument, "product_id"},
		{"bad currency", &shippingv1.GetQuoteRequest{Address: us, Items: one, CurrencyCode: "eur"}, codes.InvalidArgument, "currency_code"},
		{"unserved country", &shippingv1.GetQuoteRequest{Address: &typesv1.Address{CountryCode: "AQ"}, Items: one}, codes.FailedPrecondition, "AQ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.GetQuote(context.Background(), tt.req)
			wantCode(t, err, tt.code, tt.mention)
		})
	}
}

func TestCreateShipmentOncePerOrder(t *testing.T) {
	svc := newTestService(t)
	c := serve(t, svc)
	ctx := context.Background()
	req := &shippingv1.CreateShipmentRequest{
		OrderId: "order-1", Address: berlin(), Email: "ada@example.com",
		Items: []*shippingv1.ShippingItem{item1("mug", 2, 350), item1("kettle", 1, 800)},
	}
	first, err := c.CreateShipment(ctx, req)
	if err != nil {
		t.Fatalf("CreateShipment: %v", err)
	}
	sh := first.GetShipment()
	if !regexp.MustCompile(`^BZ[0-9]{10}$`).MatchString(sh.GetTrackingId()) {
		t.Errorf("tracking id %q is not BZ and 10 digits", sh.GetTrackingId())
	}
	if sh.GetId() == "" || sh.GetOrderId() != "order-1" || sh.GetCarrier() != Carrier ||
		sh.GetStatus() != shippingv1.ShipmentStatus_SHIPMENT_STATUS_LABEL_CREATED || sh.GetTotalWeightGrams() != 1500 ||
		sh.GetEmail() != "ada@example.com" || !proto.Equal(sh.GetAddress(), berlin()) || len(sh.GetItems()) != 2 ||
		!sh.GetCreateTime().AsTime().Equal(testNow()) {
		t.Errorf("shipment = %v", sh)
	}

	// The same order again, with other content: the first shipment.
	again := proto.Clone(req).(*shippingv1.CreateShipmentRequest)
	again.Items = []*shippingv1.ShippingItem{item1("anvil", 1, 50_000)}
	again.Address.CountryCode = "US"
	second, err := c.CreateShipment(ctx, again)
	if err != nil {
		t.Fatalf("CreateShipment again: %v", err)
	}
	if !proto.Equal(second.GetShipment(), sh) {
		t.Errorf("second CreateShipment = %v, want the first shipment %v", second.GetShipment(), sh)
	}

	rows := outboxRows(t, svc)
	if len(rows) != 1 {
		t.Fatalf("outbox holds %d events, want 1", len(rows))
	}
	if rows[0].Subject != "bazaar.shipping.shipment.created" || rows[0].Env.GetType() != TypeShipmentCreated || rows[0].Env.GetAggregateId() != "order-1" {
		t.Errorf("outbox event = %s %v", rows[0].Subject, rows[0].Env)
	}
	var created eventsv1.ShipmentCreated
	if err := events.Unpack(rows[0].Env, &created); err != nil {
		t.Fatalf("unpack: %v", err)
	}
	want := &eventsv1.ShipmentCreated{OrderId: "order-1", ShipmentId: sh.GetId(), TrackingId: sh.GetTrackingId(), Carrier: Carrier, Email: "ada@example.com", EstimatedDays: 7}
	if !proto.Equal(&created, want) {
		t.Errorf("shipment.created = %v, want %v", &created, want)
	}
}

func TestGetAndTrackShipment(t *testing.T) {
	c := serve(t, newTestService(t))
	ctx := context.Background()
	created, err := c.CreateShipment(ctx, &shippingv1.CreateShipmentRequest{OrderId: "order-7", Address: berlin(), Items: []*shippingv1.ShippingItem{item1("mug", 1, 350)}})
	if err != nil {
		t.Fatalf("CreateShipment: %v", err)
	}
	sh := created.GetShipment()
	for _, req := range []*shippingv1.GetShipmentRequest{{ShipmentId: sh.GetId()}, {OrderId: "order-7"}} {
		got, err := c.GetShipment(ctx, req)
		if err != nil {
			t.Fatalf("GetShipment(%v): %v", req, err)
		}
		if !proto.Equal(got.GetShipment(), sh) {
			t.Errorf("GetShipment(%v) = %v, want %v", req, got.GetShipment(), sh)
		}
	}
	tr, err := c.TrackShipment(ctx, &shippingv1.TrackShipmentRequest{TrackingId: sh.GetTrackingId()})
	if err != nil {
		t.Fatalf("TrackShipment: %v", err)
	}
	if !proto.Equal(tr.GetShipment(), sh) || len(tr.GetEvents()) != 1 {
		t.Fatalf("TrackShipment = %v", tr)
	}
	ev := tr.GetEvents()[0]
	if ev.GetStatus() != shippingv1.ShipmentStatus_SHIPMENT_STATUS_LABEL_CREATED || !strings.Contains(ev.GetDescription(), "label") || !ev.GetOccurTime().AsTime().Equal(testNow()) {
		t.Errorf("tracking event = %v", ev)
	}

	tests := []struct {
		name    string
		call    func() error
		code    codes.Code
		mention string
	}{
		{"get: neither field", func() error { _, err := c.GetShipment(ctx, &shippingv1.GetShipmentRequest{}); return err }, codes.InvalidArgument, "required"},
		{"get: both fields", func() error {
			_, err := c.GetShipment(ctx, &shippingv1.GetShipmentRequest{ShipmentId: sh.GetId(), OrderId: "order-7"})
			return err
		}, codes.InvalidArgument, "not both"},
		{"get: unknown id", func() error {
			_, err := c.GetShipment(ctx, &shippingv1.GetShipmentRequest{ShipmentId: "nope"})
			return err
		}, codes.NotFound, "nope"},
		{"get: unknown order", func() error {
			_, err := c.GetShipment(ctx, &shippingv1.GetShipmentRequest{OrderId: "order-8"})
			return err
		}, codes.NotFound, "order-8"},
		{"track: empty", func() error { _, err := c.TrackShipment(ctx, &shippingv1.TrackShipmentRequest{}); return err }, codes.InvalidArgument, "tracking_id"},
		{"track: unknown", func() error {
			_, err := c.TrackShipment(ctx, &shippingv1.TrackShipmentRequest{TrackingId: "BZ0000000000"})
			return err
		}, codes.NotFound, "BZ0000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code, tt.mention) })
	}
}

func TestCreateShipmentRejects(t *testing.T) {
	c := serve(t, newTestService(t))
	good := func() *shippingv1.CreateShipmentRequest {
		return &shippingv1.CreateShipmentRequest{OrderId: "order-1", Address: berlin(), Items: []*shippingv1.ShippingItem{item1("mug", 1, 350)}, Email: "ada@example.com"}
	}
	tests := []struct {
		name    string
		edit    func(*shippingv1.CreateShipmentRequest)
		code    codes.Code
		mention string
	}{
		{"no order id", func(r *shippingv1.CreateShipmentRequest) { r.OrderId = "" }, codes.InvalidArgument, "order_id"},
		{"long order id", func(r *shippingv1.CreateShipmentRequest) { r.OrderId = strings.Repeat("x", 129) }, codes.InvalidArgument, "order_id"},
		{"no address", func(r *shippingv1.CreateShipmentRequest) { r.Address = nil }, codes.InvalidArgument, "address"},
		{"no street", func(r *shippingv1.CreateShipmentRequest) { r.Address.Street = " " }, codes.InvalidArgument, "address.street"},
		{"no postal code", func(r *shippingv1.CreateShipmentRequest) { r.Address.PostalCode = "" }, codes.InvalidArgument, "address.postal_code"},
		{"control character", func(r *shippingv1.CreateShipmentRequest) { r.Address.Name = "Ada\nLovelace" }, codes.InvalidArgument, "address.name"},
		{"no items", func(r *shippingv1.CreateShipmentRequest) { r.Items = nil }, codes.InvalidArgument, "items"},
		{"bad email", func(r *shippingv1.CreateShipmentRequest) { r.Email = "ada at example.com" }, codes.InvalidArgument, "email"},
		{"unserved country", func(r *shippingv1.CreateShipmentRequest) { r.Address.CountryCode = "HM" }, codes.FailedPrecondition, "HM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := good()
			tt.edit(req)
			_, err := c.CreateShipment(context.Background(), req)
			wantCode(t, err, tt.code, tt.mention)
		})
	}
}
